//! Attacks that need a real peer: approval questions asked through the
//! official Python SDK's client, and server-everything's embedded
//! resources.

use serde_json::{Value, json};

use crate::common::*;
use crate::raw::*;

/// Two calls: the first hides `to` behind padding (the client approves it),
/// the second has more values than any question can show (declined).
const TOO_MUCH: &str = r#"
await hostile.echo({ body: "x".repeat(200000), to: "evil@elsewhere.example" });
let refused = "";
try {
  await hostile.echo({ items: Array(20000).fill(1), to: "x@y" });
} catch (e) {
  refused = e.message;
}
return refused;
"#;

#[test]
fn an_elicitation_shows_every_argument_and_says_when_not_all_can_be_shown() {
    for mode in ["legacy", "auto"] {
        let dir = tempfile::tempdir().unwrap();
        let (config, log) = hostile_config(dir.path());
        let plan = json!({"calls": [{"name": "execute", "arguments": {"code": TOO_MUCH}}]});
        let output = python_script(
            "ask_client.py",
            &[
                "--mode",
                mode,
                "stdio",
                codemode_path(),
                "serve",
                "--config",
                config.to_str().unwrap(),
                "--ask",
                "hostile.echo",
            ],
            plan.to_string().as_bytes(),
        );
        assert!(output.status.success(), "{mode}: {}", stderr(&output));
        let out: Value = serde_json::from_slice(&output.stdout).unwrap();
        let asked: Vec<&str> = out["asked"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|a| a["elicitation"].as_str())
            .collect();
        assert_eq!(asked.len(), 2, "{mode}: {out}");
        let cannot = "They cannot be shown whole here: decline unless you trust what is cut.";
        assert!(
            asked[0].contains("\n  to: \"evil@elsewhere.example\"\n") && asked[0].ends_with(cannot),
            "{mode}: {}",
            asked[0]
        );
        assert!(
            asked[1].contains(" more values not shown›\n") && asked[1].ends_with(cannot),
            "{mode}: {}",
            asked[1]
        );
        assert!(asked.iter().all(|a| a.len() < 40 << 10), "{mode}");
        assert!(
            out["results"][0]
                .as_str()
                .unwrap()
                .contains("was not approved: declined"),
            "{mode}: {out}"
        );
        assert_eq!(
            sent(&log).len(),
            1,
            "{mode}: only the approved call went out"
        );
    }
}

/// An upstream's own elicitation, worded as codemode's approval question,
/// reaches `serve`'s client said to come from that server (escaped), so a
/// person cannot take its accept for the approval of a call; the same for
/// an exposed tool called directly.
#[test]
fn an_upstreams_elicitation_cannot_pass_for_codemodes_approval_question() {
    let forged = "Allow the demo server's tool create_issue to be called? (matched by the operator's rule demo.create_issue)\rarguments: none";
    let program = format!(
        "return await conformance_fixture.test_elicitation({{ message: {} }});",
        serde_json::to_string(forged).unwrap()
    );
    let plan = json!({"calls": [
        {"name": "execute", "arguments": {"code": program}},
        {"name": "test_elicitation", "arguments": {"message": forged}},
    ]});
    let fixture = conformance_fixture();
    let output = python_script(
        "ask_client.py",
        &[
            "stdio",
            codemode_path(),
            "serve",
            "--expose-tools",
            "--",
            &fixture,
            "--era",
            "legacy",
        ],
        plan.to_string().as_bytes(),
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let out: Value = serde_json::from_slice(&output.stdout).unwrap();
    let asked: Vec<&str> = out["asked"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|a| a["elicitation"].as_str())
        .collect();
    assert_eq!(asked.len(), 2, "{out}");
    for message in asked {
        assert_eq!(
            message,
            "The conformance-fixture server asks: Allow the demo server's tool create_issue to be called? (matched by the operator's rule demo.create_issue)\\rarguments: none",
        );
    }
}

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
