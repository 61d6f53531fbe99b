//! The MCP conformance suite's client, built on codemode's own upstream
//! code: `conformance client --command 'conformance_client'` runs it with the
//! mock server's URL appended, the scenario in `MCP_CONFORMANCE_SCENARIO`
//! and its data (an OAuth client, say) in `MCP_CONFORMANCE_CONTEXT`.
//!
//! It connects as `codemode` does (era probe, streamable HTTP), logs in
//! with `codemode login`'s flow when the server asks (itself standing in for
//! the browser: `conformance_client --follow URL` fetches the authorization
//! URL and follows its redirect), then lists tools and makes the calls the
//! scenario expects. Tokens go to `credentials.json` under
//! `$XDG_CONFIG_HOME`, which the test points at a temporary folder.

// The suite checks sampling and roots too, which SEP-2577 deprecates.
#![allow(deprecated)]

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use codemode::files::config::{OAuthClient, ServerSpec, Transport};
use codemode::hint::Hint;
use codemode::upstream::oauth::{TokenFile, refused};
use codemode::upstream::{self, Hooks, Human, UpstreamError, Upstreams};
use futures::future::BoxFuture;
use rmcp::ErrorData;
use rmcp::model::{
    CallToolRequestParams, CreateMessageRequestParams, CreateMessageResult, ElicitRequestParams,
    ElicitResult, ElicitationAction, ListRootsResult,
};
use serde_json::{Map, Value, json};

/// The server's name, which keys its tokens: one per process, as the suite
/// runs scenarios side by side over one config folder.
fn server() -> &'static str {
    static NAME: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    NAME.get_or_init(|| format!("conformance-{}", std::process::id()))
}

#[derive(Default, serde::Deserialize)]
struct Context {
    #[serde(default)]
    client_id: Option<String>,
    #[serde(default)]
    client_secret: Option<String>,
    /// Calls the scenario wants made, in order.
    #[serde(default, alias = "toolCalls")]
    tool_calls: Vec<ToolCall>,
}

#[derive(serde::Deserialize)]
struct ToolCall {
    name: String,
    #[serde(default)]
    arguments: Map<String, Value>,
}

/// Accepts elicitations with the schema's defaults (the suite's "client
/// defaults" scenario); no model and no roots.
struct Defaults;

impl Human for Defaults {
    fn elicit(
        &self,
        _server: &str,
        request: ElicitRequestParams,
    ) -> BoxFuture<'static, Result<ElicitResult, ErrorData>> {
        let schema = serde_json::to_value(&request).unwrap_or_default();
        let mut content = Map::new();
        if let Some(properties) = schema
            .pointer("/requestedSchema/properties")
            .and_then(Value::as_object)
        {
            for (name, property) in properties {
                if let Some(default) = property.get("default") {
                    content.insert(name.clone(), default.clone());
                }
            }
        }
        content.entry("confirmed").or_insert(json!(true));
        let answer =
            ElicitResult::new(ElicitationAction::Accept).with_content(Value::Object(content));
        Box::pin(std::future::ready(Ok(answer)))
    }

    fn sample(
        &self,
        _server: &str,
        _request: CreateMessageRequestParams,
    ) -> BoxFuture<'static, Result<CreateMessageResult, ErrorData>> {
        Box::pin(std::future::ready(Err(ErrorData::invalid_request(
            "no model here",
            None,
        ))))
    }

    fn roots(&self, _server: &str) -> BoxFuture<'static, Result<ListRootsResult, ErrorData>> {
        Box::pin(std::future::ready(Ok(ListRootsResult::default())))
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_env("CODEMODE_LOG"))
        .with_writer(std::io::stderr)
        .init();
    let args: Vec<String> = std::env::args().collect();
    let result = match args.get(1).map(String::as_str) {
        Some("--follow") => follow(args.get(2).map(String::as_str).unwrap_or_default()).await,
        Some(url) => run(url).await,
        None => Err(anyhow::anyhow!("usage: conformance_client URL")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("conformance_client: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// The browser's part: open the authorization URL, follow its redirect to
/// the loopback address `login` listens on.
async fn follow(url: &str) -> anyhow::Result<()> {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let answer = client.get(url).send().await?;
    let location = answer
        .headers()
        .get(http::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| {
            anyhow::anyhow!(
                "the authorization server answered {} without a redirect",
                answer.status()
            )
        })?
        .to_owned();
    client.get(location).send().await?;
    Ok(())
}

async fn connect(url: &str, oauth: &OAuthClient) -> Result<Upstreams, UpstreamError> {
    let mut spec = ServerSpec::new(
        server(),
        Transport::Http {
            url: url.to_owned(),
            headers: vec![],
            sse_fallback: false,
        },
    );
    spec.oauth = oauth.clone();
    let hooks = Hooks {
        changes: None,
        human: Arc::new(Defaults),
    };
    let mut upstreams =
        upstream::connect_all_watched(vec![spec], Duration::from_secs(30), hooks, None).await;
    match upstreams.failures.pop() {
        Some(failure) => Err(failure.error),
        None => Ok(upstreams),
    }
}

async fn login(url: &str, oauth: &OAuthClient, scopes: &[String]) -> anyhow::Result<()> {
    let file = TokenFile::default_location().ok_or_else(|| anyhow::anyhow!("no config folder"))?;
    let me = std::env::current_exe()?;
    let opener = format!("{} --follow", me.display());
    upstream::oauth::login(server(), url, oauth, scopes, &file, Some(&opener)).await?;
    Ok(())
}

async fn run(url: &str) -> anyhow::Result<()> {
    let scenario = std::env::var("MCP_CONFORMANCE_SCENARIO").unwrap_or_default();
    let context: Context = std::env::var("MCP_CONFORMANCE_CONTEXT")
        .ok()
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or_default();
    let mut oauth = OAuthClient {
        client_id: context.client_id.clone(),
        client_secret: context.client_secret.clone(),
        ..OAuthClient::default()
    };
    if scenario == "auth/basic-cimd" {
        oauth.client_metadata_url =
            Some("https://conformance-test.local/client-metadata.json".into());
    }
    let mut logins = 0;
    let upstreams = loop {
        match connect(url, &oauth).await {
            Ok(upstreams) => break upstreams,
            // The server wants more scope than the login was granted.
            Err(UpstreamError::LoginNeeded {
                scope: Some(scope), ..
            }) if logins < 3 => {
                let scopes: Vec<String> = scope.split_whitespace().map(str::to_owned).collect();
                login(url, &oauth, &scopes).await?;
            }
            // A login it refuses after one was done: its authorization
            // server changed, and a pre-registered client belongs to the
            // one it was registered with, so register afresh.
            Err(UpstreamError::LoginNeeded { scope: None, .. }) if logins > 0 && logins < 3 => {
                oauth.client_id = None;
                oauth.client_secret = None;
                login(url, &oauth, &[]).await?;
            }
            Err(UpstreamError::LoginNeeded { scope: None, .. }) if logins == 0 => {
                login(url, &oauth, &[]).await?;
            }
            Err(error) => return Err(error.into()),
        }
        logins += 1;
    };
    let tools = upstreams
        .tool_lists()
        .pop()
        .map(|(_, tools)| tools)
        .unwrap_or_default();
    if !context.tool_calls.is_empty() {
        for planned in &context.tool_calls {
            let arguments = Value::Object(planned.arguments.clone());
            call(&upstreams, &planned.name, arguments)
                .await
                .map_err(|e| anyhow::anyhow!("{}: {e}", planned.name))?;
        }
        return Ok(());
    }
    let (name, arguments) = match scenario.as_str() {
        "json-schema-ref-no-deref" => return Ok(()),
        "json-schema-2020-12-preservation" => {
            let schema = tools
                .iter()
                .find(|t| t["name"] == "json_schema_2020_12_tool")
                .map(|t| t["inputSchema"].clone())
                .ok_or_else(|| anyhow::anyhow!("json_schema_2020_12_tool is not listed"))?;
            ("json_schema_echo".to_owned(), json!({"schema": schema}))
        }
        "elicitation-sep1034-client-defaults" => {
            ("test_client_elicitation_defaults".to_owned(), json!({}))
        }
        "sep-2322-client-request-state" => {
            for tool in [
                "test_mrtr_echo_state",
                "test_mrtr_unrelated",
                "test_mrtr_no_state",
                "test_mrtr_no_result_type",
            ] {
                call(&upstreams, tool, json!({}))
                    .await
                    .map_err(|e| anyhow::anyhow!("{tool}: {e}"))?;
            }
            return Ok(());
        }
        auth if auth.starts_with("auth/") => ("test-tool".to_owned(), json!({})),
        _ => match tools.first() {
            Some(first) => (
                first["name"].as_str().unwrap_or_default().to_owned(),
                json!({"a": 2, "b": 3}),
            ),
            None => return Ok(()),
        },
    };
    match call(&upstreams, &name, arguments.clone()).await {
        // A step-up: log in again with the scope the server asked for.
        Err(Refused::Scope(scopes)) => {
            login(url, &oauth, &scopes).await?;
            let upstreams = connect(url, &oauth).await?;
            call(&upstreams, &name, arguments)
                .await
                .map_err(|e| anyhow::anyhow!("{name}: {e}"))
        }
        // The login stopped working (its authorization server changed, say):
        // log in afresh, registering again, since a pre-registered client
        // belongs to the authorization server it was registered with.
        Err(Refused::Login) => {
            let fresh = OAuthClient {
                client_id: None,
                client_secret: None,
                ..oauth
            };
            login(url, &fresh, &[]).await?;
            let upstreams = connect(url, &fresh).await?;
            call(&upstreams, &name, arguments)
                .await
                .map_err(|e| anyhow::anyhow!("{name}: {e}"))
        }
        other => other.map_err(|e| anyhow::anyhow!("{name}: {e}")),
    }
}

#[derive(Debug)]
enum Refused {
    Scope(Vec<String>),
    Login,
    Other(String),
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refused::Scope(scopes) => write!(f, "refused for want of the scopes {scopes:?}"),
            Refused::Login => f.write_str("refused: the server asks for a login"),
            Refused::Other(why) => f.write_str(why),
        }
    }
}

async fn call(upstreams: &Upstreams, name: &str, arguments: Value) -> Result<(), Refused> {
    let peers = upstreams.peers();
    let peer = peers
        .get(server())
        .ok_or_else(|| Refused::Other("not connected".into()))?;
    let Value::Object(arguments) = arguments else {
        return Err(Refused::Other("arguments must be an object".into()));
    };
    let request = CallToolRequestParams::new(name.to_owned()).with_arguments(arguments);
    let human: std::sync::Arc<dyn upstream::Human> = std::sync::Arc::new(Defaults);
    match upstream::human::call_tool(peer, &human, server(), request).await {
        Ok(_) => Ok(()),
        Err(error) => match refused(&error, server()).map(|refused| refused.hint) {
            Some(Hint::Login { scopes, .. }) if !scopes.is_empty() => Err(Refused::Scope(scopes)),
            Some(_) => Err(Refused::Login),
            None => Err(Refused::Other(error.to_string())),
        },
    }
}
