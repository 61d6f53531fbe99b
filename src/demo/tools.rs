//! The demo's tool definitions (hand-written JSON Schema, to show the range
//! real servers emit: enums, defaults, nested objects, nullable fields, a
//! recursive `$ref`) and their implementations.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{Value, json};

use super::tracker::{self, Estimate, NewIssue, Priority, Status, Tracker, summary};

/// What a tool call produced: structured data, or plain text for tools
/// without an output schema.
pub(super) enum Output {
    Structured(Value),
    Text(String),
}

type Outcome = Result<Output, String>;

/// Every tool as `tools/list` shows it.
pub(super) fn definitions() -> Vec<Value> {
    let status = json!({"type": "string", "enum": ["open", "in_progress", "closed"]});
    let priority = json!({"type": "string", "enum": ["low", "medium", "high", "urgent"]});
    let estimate = json!({
        "type": "object",
        "description": "Effort estimate",
        "properties": {
            "points": {"type": "integer", "enum": [1, 2, 3, 5, 8, 13], "description": "Story points"},
            "due": {"type": "string", "format": "date", "description": "Due date"}
        },
        "required": ["points"],
        "additionalProperties": false
    });
    let summary = json!({
        "type": "object",
        "properties": {
            "id": {"type": "string"},
            "title": {"type": "string"},
            "status": status,
            "priority": priority,
            "labels": {"type": "array", "items": {"type": "string"}},
            "assignee": {"type": ["string", "null"]},
            "points": {"type": ["integer", "null"]}
        },
        "required": ["id", "title", "status", "priority", "labels", "assignee", "points"]
    });
    let comment_defs = json!({
        "Comment": {
            "type": "object",
            "description": "A comment; replies nest to any depth",
            "properties": {
                "id": {"type": "integer"},
                "author": {"type": "string"},
                "body": {"type": "string"},
                "created": {"type": "string", "format": "date"},
                "replies": {"type": "array", "items": {"$ref": "#/$defs/Comment"}}
            },
            "required": ["id", "author", "body", "created", "replies"]
        }
    });
    let read_only = json!({"readOnlyHint": true, "openWorldHint": false});
    let counts = json!({"type": "object", "additionalProperties": {"type": "integer"}});

    vec![
        json!({
            "name": "list_projects",
            "title": "List projects",
            "description": "List all projects with their key, name and lead.",
            "inputSchema": {"type": "object", "properties": {}},
            "outputSchema": {
                "type": "object",
                "properties": {"projects": {"type": "array", "items": {
                    "type": "object",
                    "properties": {
                        "key": {"type": "string", "description": "Short key used in issue ids, e.g. CORE"},
                        "name": {"type": "string"},
                        "description": {"type": "string"},
                        "lead": {"type": "string", "description": "Login of the project lead"}
                    },
                    "required": ["key", "name", "description", "lead"]
                }}},
                "required": ["projects"]
            },
            "annotations": read_only,
        }),
        json!({
            "name": "list_users",
            "description": "List the people who can be assigned issues.",
            "inputSchema": {"type": "object", "properties": {
                "team": {"type": "string", "enum": ["platform", "web", "ops"], "description": "Only this team"}
            }},
            "outputSchema": {
                "type": "object",
                "properties": {"users": {"type": "array", "items": {
                    "type": "object",
                    "properties": {"login": {"type": "string"}, "name": {"type": "string"}, "team": {"type": "string"}},
                    "required": ["login", "name", "team"]
                }}},
                "required": ["users"]
            },
            "annotations": read_only,
        }),
        json!({
            "name": "list_issues",
            "description": "List issues, newest first, filtered by project, status, assignee, label or priority. Returns one page; use offset for the next.",
            "inputSchema": {"type": "object", "properties": {
                "project": {"type": "string", "description": "Project key, e.g. CORE"},
                "status": status,
                "assignee": {"type": ["string", "null"], "description": "Login; null for unassigned issues"},
                "label": {"type": "string"},
                "priority": priority,
                "limit": {"type": "integer", "minimum": 1, "maximum": 50, "default": 20},
                "offset": {"type": "integer", "minimum": 0, "default": 0}
            }},
            "outputSchema": {
                "type": "object",
                "properties": {
                    "issues": {"type": "array", "items": summary},
                    "total": {"type": "integer", "description": "Matching issues across all pages"},
                    "next_offset": {"type": ["integer", "null"], "description": "Offset of the next page, null on the last"}
                },
                "required": ["issues", "total", "next_offset"]
            },
            "annotations": read_only,
        }),
        json!({
            "name": "get_issue",
            "description": "Get one issue with its full text, estimate and comment threads.",
            "inputSchema": {"type": "object", "properties": {
                "id": {"type": "string", "description": "Issue id, e.g. CORE-4", "pattern": "^[A-Za-z]+-[0-9]+$"},
                "include_comments": {"type": "boolean", "default": true}
            }, "required": ["id"]},
            "outputSchema": {
                "type": "object",
                "properties": {
                    "id": {"type": "string"},
                    "project": {"type": "string"},
                    "title": {"type": "string"},
                    "body": {"type": "string"},
                    "status": status,
                    "priority": priority,
                    "labels": {"type": "array", "items": {"type": "string"}},
                    "assignee": {"type": ["string", "null"]},
                    "reporter": {"type": "string"},
                    "estimate": {"anyOf": [estimate, {"type": "null"}]},
                    "created": {"type": "string", "format": "date"},
                    "resolution": {"type": "string"},
                    "comments": {"type": "array", "items": {"$ref": "#/$defs/Comment"}}
                },
                "required": ["id", "project", "title", "body", "status", "priority", "labels", "assignee", "reporter", "estimate", "created", "comments"],
                "$defs": comment_defs,
            },
            "annotations": read_only,
        }),
        json!({
            "name": "search_issues",
            "description": "Full-text search over issues; results are ranked by how many query words match.",
            "inputSchema": {"type": "object", "properties": {
                "query": {"type": "string", "minLength": 1},
                "fields": {"type": "array", "items": {"type": "string", "enum": ["title", "body", "comments"]}, "default": ["title", "body"]},
                "limit": {"type": "integer", "minimum": 1, "maximum": 50, "default": 10}
            }, "required": ["query"]},
            "outputSchema": {
                "type": "object",
                "properties": {"matches": {"type": "array", "items": {
                    "type": "object",
                    "properties": {"id": {"type": "string"}, "title": {"type": "string"}, "status": status, "score": {"type": "number"}},
                    "required": ["id", "title", "status", "score"]
                }}},
                "required": ["matches"]
            },
            "annotations": read_only,
        }),
        json!({
            "name": "create_issue",
            "description": "Create an issue in a project. It starts open.",
            "inputSchema": {"type": "object", "properties": {
                "project": {"type": "string", "description": "Project key"},
                "title": {"type": "string", "minLength": 3, "maxLength": 120},
                "body": {"type": "string", "description": "Markdown description"},
                "priority": {"type": "string", "enum": ["low", "medium", "high", "urgent"], "default": "medium"},
                "labels": {"type": "array", "items": {"type": "string"}, "uniqueItems": true},
                "assignee": {"type": "string", "description": "Login of the assignee"},
                "estimate": estimate
            }, "required": ["project", "title"]},
            "outputSchema": summary,
            "annotations": {"readOnlyHint": false, "destructiveHint": false, "idempotentHint": false, "openWorldHint": false},
        }),
        json!({
            "name": "update_issue",
            "description": "Change an issue's fields. Only the fields given in `changes` are updated.",
            "inputSchema": {"type": "object", "properties": {
                "id": {"type": "string"},
                "changes": {"type": "object", "properties": {
                    "title": {"type": "string"},
                    "body": {"type": "string"},
                    "status": status,
                    "priority": priority,
                    "labels": {"type": "array", "items": {"type": "string"}, "description": "Replaces all labels"},
                    "estimate": {"anyOf": [estimate, {"type": "null"}], "description": "null removes the estimate"}
                }, "additionalProperties": false, "minProperties": 1}
            }, "required": ["id", "changes"]},
            "outputSchema": summary,
            "annotations": {"readOnlyHint": false, "destructiveHint": true, "idempotentHint": true, "openWorldHint": false},
        }),
        json!({
            "name": "assign_issue",
            "description": "Assign an issue to someone, or unassign it with null.",
            "inputSchema": {"type": "object", "properties": {
                "id": {"type": "string"},
                "assignee": {"type": ["string", "null"], "description": "Login, or null to unassign"}
            }, "required": ["id", "assignee"]},
            "outputSchema": {
                "type": "object",
                "properties": {"id": {"type": "string"}, "assignee": {"type": ["string", "null"]}, "previous": {"type": ["string", "null"]}},
                "required": ["id", "assignee", "previous"]
            },
            "annotations": {"readOnlyHint": false, "destructiveHint": false, "idempotentHint": true, "openWorldHint": false},
        }),
        json!({
            "name": "add_comment",
            "description": "Comment on an issue, or reply to an existing comment.",
            "inputSchema": {"type": "object", "properties": {
                "issue_id": {"type": "string"},
                "author": {"type": "string", "description": "Login of the author"},
                "body": {"type": "string", "minLength": 1},
                "reply_to": {"type": "integer", "description": "Id of the comment to reply to"}
            }, "required": ["issue_id", "author", "body"]},
            // MCP wants an object schema here, which clients check (the Python SDK refuses the list otherwise).
            "outputSchema": {"type": "object", "$ref": "#/$defs/Comment", "$defs": comment_defs},
            "annotations": {"readOnlyHint": false, "destructiveHint": false, "idempotentHint": false, "openWorldHint": false},
        }),
        json!({
            "name": "close_issue",
            "description": "Close an issue with a resolution.",
            "inputSchema": {"type": "object", "properties": {
                "id": {"type": "string"},
                "resolution": {"type": "string", "enum": ["fixed", "wont_fix", "duplicate", "cannot_reproduce"]},
                "duplicate_of": {"type": "string", "description": "Required when resolution is duplicate"}
            }, "required": ["id", "resolution"]},
            "outputSchema": {
                "type": "object",
                "properties": {"id": {"type": "string"}, "status": {"const": "closed"}, "resolution": {"type": "string"}},
                "required": ["id", "status", "resolution"]
            },
            "annotations": {"readOnlyHint": false, "destructiveHint": false, "idempotentHint": true, "openWorldHint": false},
        }),
        json!({
            "name": "project_stats",
            "description": "Count a project's issues by status, priority and assignee, and sum the open story points.",
            "inputSchema": {"type": "object", "properties": {"project": {"type": "string"}}, "required": ["project"]},
            "outputSchema": {
                "type": "object",
                "properties": {
                    "project": {"type": "string"},
                    "total": {"type": "integer"},
                    "by_status": counts,
                    "by_priority": counts,
                    "by_assignee": {"type": "object", "additionalProperties": {"type": "integer"}, "description": "Unassigned issues count under \"(none)\""},
                    "open_points": {"type": "integer"}
                },
                "required": ["project", "total", "by_status", "by_priority", "by_assignee", "open_points"]
            },
            "annotations": read_only,
        }),
        json!({
            "name": "delete_issue",
            "description": "Delete an issue for good. Prefer close_issue; this cannot be undone.",
            "inputSchema": {"type": "object", "properties": {
                "id": {"type": "string"},
                "confirm": {"const": true, "description": "Must be true"}
            }, "required": ["id", "confirm"]},
            "annotations": {"readOnlyHint": false, "destructiveHint": true, "idempotentHint": true, "openWorldHint": false},
        }),
    ]
}

/// Runs one tool; `Err` is a tool-level error the caller sees as `isError`.
pub(super) fn call(tracker: &mut Tracker, name: &str, args: Value) -> Outcome {
    match name {
        "list_projects" => list_projects(),
        "list_users" => list_users(parse(name, args)?),
        "list_issues" => list_issues(tracker, parse(name, args)?),
        "get_issue" => get_issue(tracker, parse(name, args)?),
        "search_issues" => search_issues(tracker, parse(name, args)?),
        "create_issue" => {
            let new: NewIssue = parse(name, args)?;
            tracker
                .create(new)
                .map(|issue| Output::Structured(summary(issue)))
        }
        "update_issue" => update_issue(tracker, parse(name, args)?),
        "assign_issue" => assign_issue(tracker, parse(name, args)?),
        "add_comment" => {
            let a: AddComment = parse(name, args)?;
            let comment = tracker.add_comment(&a.issue_id, &a.author, &a.body, a.reply_to)?;
            Ok(Output::Structured(json!(comment)))
        }
        "close_issue" => close_issue(tracker, parse(name, args)?),
        "project_stats" => project_stats(tracker, parse(name, args)?),
        "delete_issue" => {
            let a: DeleteIssue = parse(name, args)?;
            if !a.confirm {
                return Err("set confirm to true to delete an issue".into());
            }
            let issue = tracker.delete(&a.id)?;
            Ok(Output::Text(format!(
                "Deleted {} ({})",
                issue.id, issue.title
            )))
        }
        other => Err(format!("unknown tool {other}")),
    }
}

fn parse<T: for<'de> Deserialize<'de>>(tool: &str, args: Value) -> Result<T, String> {
    serde_json::from_value(args).map_err(|e| format!("invalid arguments for {tool}: {e}"))
}

fn list_projects() -> Outcome {
    let projects: Vec<Value> = tracker::PROJECTS
        .iter()
        .map(
            |p| json!({"key": p.key, "name": p.name, "description": p.description, "lead": p.lead}),
        )
        .collect();
    Ok(Output::Structured(json!({"projects": projects})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ListUsers {
    team: Option<String>,
}

fn list_users(a: ListUsers) -> Outcome {
    let users: Vec<Value> = tracker::USERS
        .iter()
        .filter(|u| a.team.as_deref().is_none_or(|t| t == u.team))
        .map(|u| json!({"login": u.login, "name": u.name, "team": u.team}))
        .collect();
    Ok(Output::Structured(json!({"users": users})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ListIssues {
    project: Option<String>,
    status: Option<Status>,
    /// Absent: any assignee; `null`: unassigned only.
    #[serde(default, deserialize_with = "present")]
    assignee: Option<Option<String>>,
    label: Option<String>,
    priority: Option<Priority>,
    limit: Option<usize>,
    offset: Option<usize>,
}

/// Distinguishes an explicit `null` from an absent field.
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

fn list_issues(tracker: &Tracker, a: ListIssues) -> Outcome {
    if let Some(project) = &a.project {
        tracker::project(project)?;
    }
    let limit = a.limit.unwrap_or(20);
    if !(1..=50).contains(&limit) {
        return Err(format!("limit must be between 1 and 50, got {limit}"));
    }
    let offset = a.offset.unwrap_or(0);
    let matching: Vec<&tracker::Issue> = tracker
        .issues
        .iter()
        .rev()
        .filter(|i| {
            a.project
                .as_deref()
                .is_none_or(|p| i.project.eq_ignore_ascii_case(p))
        })
        .filter(|i| a.status.is_none_or(|s| i.status == s))
        .filter(|i| a.priority.is_none_or(|p| i.priority == p))
        .filter(|i| {
            a.label
                .as_deref()
                .is_none_or(|l| i.labels.iter().any(|x| x == l))
        })
        .filter(|i| {
            a.assignee
                .as_ref()
                .is_none_or(|wanted| i.assignee == *wanted)
        })
        .collect();
    let page: Vec<Value> = matching
        .iter()
        .skip(offset)
        .take(limit)
        .map(|i| summary(i))
        .collect();
    let next = (offset + limit < matching.len()).then_some(offset + limit);
    Ok(Output::Structured(
        json!({"issues": page, "total": matching.len(), "next_offset": next}),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GetIssue {
    id: String,
    include_comments: Option<bool>,
}

fn get_issue(tracker: &Tracker, a: GetIssue) -> Outcome {
    let issue = tracker.issue(&a.id)?;
    let mut value = json!(issue);
    if a.include_comments == Some(false) {
        value["comments"] = json!([]);
    }
    Ok(Output::Structured(value))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SearchIssues {
    query: String,
    fields: Option<Vec<String>>,
    limit: Option<usize>,
}

fn search_issues(tracker: &Tracker, a: SearchIssues) -> Outcome {
    let words: Vec<String> = a.query.split_whitespace().map(str::to_lowercase).collect();
    if words.is_empty() {
        return Err("query must contain at least one word".into());
    }
    let fields = a
        .fields
        .unwrap_or_else(|| vec!["title".into(), "body".into()]);
    if let Some(bad) = fields
        .iter()
        .find(|f| !["title", "body", "comments"].contains(&f.as_str()))
    {
        return Err(format!("unknown field {bad}; use title, body or comments"));
    }
    let mut matches: Vec<(usize, &tracker::Issue)> = tracker
        .issues
        .iter()
        .filter_map(|issue| {
            let mut text = String::new();
            for field in &fields {
                match field.as_str() {
                    "title" => text.push_str(&issue.title),
                    "body" => text.push_str(&issue.body),
                    _ => issue.comments.iter().for_each(|c| text.push_str(&c.body)),
                }
                text.push(' ');
            }
            let text = text.to_lowercase();
            let score = words.iter().filter(|w| text.contains(w.as_str())).count();
            (score > 0).then_some((score, issue))
        })
        .collect();
    matches.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.id.cmp(&b.1.id)));
    let results: Vec<Value> = matches
        .iter()
        .take(a.limit.unwrap_or(10))
        .map(|(score, i)| {
            json!({"id": i.id, "title": i.title, "status": i.status, "score": *score as f64 / words.len() as f64})
        })
        .collect();
    Ok(Output::Structured(json!({"matches": results})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UpdateIssue {
    id: String,
    changes: Changes,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Changes {
    title: Option<String>,
    body: Option<String>,
    status: Option<Status>,
    priority: Option<Priority>,
    labels: Option<Vec<String>>,
    #[serde(default, deserialize_with = "present_estimate")]
    estimate: Option<Option<Estimate>>,
}

fn present_estimate<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<Option<Estimate>>, D::Error> {
    Option::<Estimate>::deserialize(d).map(Some)
}

fn update_issue(tracker: &mut Tracker, a: UpdateIssue) -> Outcome {
    let issue = tracker.issue_mut(&a.id)?;
    let c = a.changes;
    if let Some(title) = c.title {
        issue.title = title;
    }
    if let Some(body) = c.body {
        issue.body = body;
    }
    if let Some(status) = c.status {
        issue.status = status;
    }
    if let Some(priority) = c.priority {
        issue.priority = priority;
    }
    if let Some(labels) = c.labels {
        issue.labels = labels;
    }
    if let Some(estimate) = c.estimate {
        issue.estimate = estimate;
    }
    Ok(Output::Structured(summary(issue)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AssignIssue {
    id: String,
    assignee: Option<String>,
}

fn assign_issue(tracker: &mut Tracker, a: AssignIssue) -> Outcome {
    if let Some(login) = &a.assignee {
        tracker::user(login)?;
    }
    let issue = tracker.issue_mut(&a.id)?;
    let previous = std::mem::replace(&mut issue.assignee, a.assignee.clone());
    Ok(Output::Structured(
        json!({"id": issue.id, "assignee": a.assignee, "previous": previous}),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AddComment {
    issue_id: String,
    author: String,
    body: String,
    reply_to: Option<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CloseIssue {
    id: String,
    resolution: String,
    duplicate_of: Option<String>,
}

fn close_issue(tracker: &mut Tracker, a: CloseIssue) -> Outcome {
    if !["fixed", "wont_fix", "duplicate", "cannot_reproduce"].contains(&a.resolution.as_str()) {
        return Err(format!(
            "unknown resolution {}; use fixed, wont_fix, duplicate or cannot_reproduce",
            a.resolution
        ));
    }
    match (&a.resolution[..], &a.duplicate_of) {
        ("duplicate", None) => return Err("resolution duplicate needs duplicate_of".into()),
        ("duplicate", Some(original)) => drop(tracker.issue(original)?),
        _ => {}
    }
    let issue = tracker.issue_mut(&a.id)?;
    issue.status = Status::Closed;
    issue.resolution = Some(a.resolution.clone());
    Ok(Output::Structured(
        json!({"id": issue.id, "status": "closed", "resolution": a.resolution}),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProjectStats {
    project: String,
}

fn project_stats(tracker: &Tracker, a: ProjectStats) -> Outcome {
    let project = tracker::project(&a.project)?;
    let issues: Vec<&tracker::Issue> = tracker
        .issues
        .iter()
        .filter(|i| i.project == project.key)
        .collect();
    let mut by_status: BTreeMap<String, u32> = BTreeMap::new();
    let mut by_priority: BTreeMap<String, u32> = BTreeMap::new();
    let mut by_assignee: BTreeMap<String, u32> = BTreeMap::new();
    let mut open_points = 0;
    for issue in &issues {
        *by_status
            .entry(json!(issue.status).as_str().unwrap_or_default().to_owned())
            .or_default() += 1;
        *by_priority
            .entry(
                json!(issue.priority)
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
            )
            .or_default() += 1;
        *by_assignee
            .entry(issue.assignee.clone().unwrap_or_else(|| "(none)".into()))
            .or_default() += 1;
        if issue.status != Status::Closed {
            open_points += issue.estimate.as_ref().map_or(0, |e| e.points);
        }
    }
    Ok(Output::Structured(json!({
        "project": project.key, "total": issues.len(), "by_status": by_status,
        "by_priority": by_priority, "by_assignee": by_assignee, "open_points": open_points,
    })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DeleteIssue {
    id: String,
    confirm: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn structured(outcome: Outcome) -> Value {
        match outcome {
            Ok(Output::Structured(v)) => v,
            Ok(Output::Text(t)) => panic!("expected structured output, got text {t}"),
            Err(e) => panic!("tool failed: {e}"),
        }
    }

    #[test]
    fn every_definition_has_a_handler() {
        let mut tracker = Tracker::seeded();
        for def in definitions() {
            let name = def["name"].as_str().unwrap();
            // Empty arguments either work or fail with a message naming the tool's
            // arguments; never "unknown tool".
            if let Err(e) = call(&mut tracker, name, json!({})) {
                assert!(!e.contains("unknown tool"), "{name}: {e}");
            }
        }
    }

    #[test]
    fn list_issues_filters_and_pages() {
        let tracker = Tracker::seeded();
        let all = structured(list_issues(
            &tracker,
            serde_json::from_value(json!({"limit": 50})).unwrap(),
        ));
        assert_eq!(all["total"], 36);
        assert_eq!(all["next_offset"], Value::Null);
        let open = structured(list_issues(
            &tracker,
            serde_json::from_value(json!({"status": "open", "project": "core", "limit": 2}))
                .unwrap(),
        ));
        let expected = tracker
            .issues
            .iter()
            .filter(|i| i.status == Status::Open && i.project == "CORE")
            .count();
        assert_eq!(open["total"], expected);
        assert_eq!(open["issues"].as_array().unwrap().len(), 2.min(expected));
        let unassigned = structured(list_issues(
            &tracker,
            serde_json::from_value(json!({"assignee": null})).unwrap(),
        ));
        assert!(
            unassigned["issues"]
                .as_array()
                .unwrap()
                .iter()
                .all(|i| i["assignee"].is_null())
        );
        assert!(unassigned["total"].as_u64().unwrap() > 0);
    }

    #[test]
    fn errors_are_specific() {
        let mut tracker = Tracker::seeded();
        let err = call(&mut tracker, "get_issue", json!({"id": "NOPE-1"}))
            .err()
            .unwrap();
        assert!(err.contains("no issue NOPE-1"), "{err}");
        let err = call(&mut tracker, "get_issue", json!({"idd": "CORE-1"}))
            .err()
            .unwrap();
        assert!(
            err.contains("invalid arguments for get_issue") && err.contains("idd"),
            "{err}"
        );
        let err = call(
            &mut tracker,
            "close_issue",
            json!({"id": "CORE-1", "resolution": "duplicate"}),
        )
        .err()
        .unwrap();
        assert!(err.contains("duplicate_of"), "{err}");
    }

    #[test]
    fn stats_add_up() {
        let tracker = Tracker::seeded();
        let stats = structured(project_stats(
            &tracker,
            ProjectStats {
                project: "WEB".into(),
            },
        ));
        let total: u64 = stats["by_status"]
            .as_object()
            .unwrap()
            .values()
            .map(|v| v.as_u64().unwrap())
            .sum();
        assert_eq!(total, stats["total"].as_u64().unwrap());
        assert_eq!(stats["total"], 12);
    }
}
