const r: any = await everything.get_resource_reference({ resourceType: "Text", resourceId: 2 });
const parts: any[] = Array.isArray(r) ? r : [r];
const item = parts.find((p) => p && typeof p === "object" && p.resource);
if (!item) throw new Error("no embedded resource: " + JSON.stringify(r));
return { uri: item.resource.uri, mimeType: item.resource.mimeType };
