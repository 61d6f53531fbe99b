//! What the runtime promises a program: parts in MCP's own shape, logs that
//! are never lost, timers and the globals programs written for Workers or
//! Node reach for.

use serde_json::json;

use super::*;

#[test]
fn an_embedded_resource_reads_as_mcp_shapes_it() {
    // A program written to MCP's shape (`part.resource.text`) failed: the
    // part was flattened to `{type, uri, mimeType, bytes, text}`.
    let everything = npm_bin("mcp-server-everything");
    let mut serve = RawStdio::start(&["--", &everything, "stdio"]);
    let report = serve.execute(
        "const parts = await everything.get_resource_reference({ resourceType: \"Text\", resourceId: 2 });\n\
         const blob = await everything.get_resource_reference({ resourceType: \"Blob\", resourceId: 2 });\n\
         const image = await everything.get_tiny_image();\n\
         const embedded = (p) => p.find((x) => x.type === \"resource\").resource;\n\
         return { text: embedded(parts).text, uri: embedded(parts).uri, blob: embedded(blob), image: image.find((x) => x.type === \"image\") };",
    );
    assert_eq!(report["ok"], true, "{report}");
    let result = &report["result"];
    assert!(
        result["text"].as_str().unwrap().starts_with("Resource 2: "),
        "{report}"
    );
    assert_eq!(result["uri"], "demo://resource/dynamic/text/2", "{report}");
    // Base64 is withheld, its decoded size given in its place.
    let blob = &result["blob"];
    assert_eq!(blob["uri"], "demo://resource/dynamic/blob/2", "{report}");
    assert!(blob.get("blob").is_none(), "{report}");
    assert!(blob["bytes"].as_u64().unwrap() > 0, "{report}");
    let image = &result["image"];
    assert_eq!(image["mimeType"], "image/png", "{report}");
    assert!(image.get("data").is_none(), "{report}");
    assert!(image["bytes"].as_u64().unwrap() > 1000, "{report}");
    assert_eq!(
        json!(image.as_object().unwrap().keys().collect::<Vec<_>>()),
        json!(["type", "mimeType", "bytes"]),
        "{report}"
    );
}
