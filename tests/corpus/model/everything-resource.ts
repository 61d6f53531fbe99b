const parts = await everything.get_resource_reference({ resourceType: "Text", resourceId: 2 });
const part = parts.find(p => typeof p !== "string" && "resource" in p) as { resource: { uri: string; mimeType: string } };
return { uri: part.resource.uri, mimeType: part.resource.mimeType };
