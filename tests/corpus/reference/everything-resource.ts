const parts = await everything.get_resource_reference({ resourceType: "Text", resourceId: 2 });
const { uri, mimeType } = parts.find((p) => p.type === "resource").resource;
return { uri, mimeType };
