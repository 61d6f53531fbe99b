//! The demo's issue tracker: seeded, deterministic data and its operations.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(super) enum Status {
    Open,
    InProgress,
    Closed,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(super) enum Priority {
    Low,
    Medium,
    High,
    Urgent,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub(super) struct Estimate {
    pub points: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub(super) struct Comment {
    pub id: u32,
    pub author: String,
    pub body: String,
    pub created: String,
    pub replies: Vec<Comment>,
}

#[derive(Clone, Debug, Serialize)]
pub(super) struct Issue {
    pub id: String,
    pub project: String,
    pub title: String,
    pub body: String,
    pub status: Status,
    pub priority: Priority,
    pub labels: Vec<String>,
    pub assignee: Option<String>,
    pub reporter: String,
    pub estimate: Option<Estimate>,
    pub created: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resolution: Option<String>,
    pub comments: Vec<Comment>,
}

pub(super) struct Project {
    pub key: &'static str,
    pub name: &'static str,
    pub description: &'static str,
    pub lead: &'static str,
}

pub(super) struct User {
    pub login: &'static str,
    pub name: &'static str,
    pub team: &'static str,
}

pub(super) const PROJECTS: &[Project] = &[
    Project {
        key: "CORE",
        name: "Core platform",
        description: "APIs, storage and auth",
        lead: "ada",
    },
    Project {
        key: "WEB",
        name: "Web app",
        description: "The customer-facing web application",
        lead: "grace",
    },
    Project {
        key: "OPS",
        name: "Operations",
        description: "Deployments, monitoring and on-call",
        lead: "linus",
    },
];

pub(super) const USERS: &[User] = &[
    User {
        login: "ada",
        name: "Ada Lovelace",
        team: "platform",
    },
    User {
        login: "alan",
        name: "Alan Turing",
        team: "platform",
    },
    User {
        login: "grace",
        name: "Grace Hopper",
        team: "web",
    },
    User {
        login: "margaret",
        name: "Margaret Hamilton",
        team: "web",
    },
    User {
        login: "linus",
        name: "Linus Torvalds",
        team: "ops",
    },
    User {
        login: "barbara",
        name: "Barbara Liskov",
        team: "ops",
    },
];

const SUBJECTS: &[&str] = &[
    "login page",
    "rate limiter",
    "search index",
    "billing export",
    "session cache",
    "deploy pipeline",
    "alerting rules",
    "user settings",
    "audit log",
    "API gateway",
    "dark mode",
    "backup job",
];
const PROBLEMS: &[&str] = &[
    "times out under load",
    "returns stale data",
    "leaks memory",
    "needs pagination",
    "crashes on empty input",
    "is slow on mobile",
    "logs secrets",
    "needs a retry policy",
];
const LABELS: &[&str] = &[
    "bug",
    "performance",
    "security",
    "ux",
    "tech-debt",
    "customer",
];

pub(super) struct Tracker {
    pub issues: Vec<Issue>,
    next_number: BTreeMap<String, u32>,
    next_comment: u32,
}

/// A small deterministic generator, so the seed data is the same everywhere.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) % n as u64) as usize
    }
}

impl Tracker {
    pub(super) fn seeded() -> Tracker {
        let mut rng = Lcg(0x5eed);
        let mut tracker = Tracker {
            issues: Vec::new(),
            next_number: BTreeMap::new(),
            next_comment: 1,
        };
        for i in 0..36 {
            let project = PROJECTS[i % PROJECTS.len()].key;
            let subject = SUBJECTS[rng.next(SUBJECTS.len())];
            let problem = PROBLEMS[rng.next(PROBLEMS.len())];
            let status = [
                Status::Open,
                Status::Open,
                Status::InProgress,
                Status::Closed,
            ][rng.next(4)];
            let priority = [
                Priority::Low,
                Priority::Medium,
                Priority::Medium,
                Priority::High,
                Priority::Urgent,
            ][rng.next(5)];
            let mut labels = vec![LABELS[rng.next(LABELS.len())].to_owned()];
            let second = LABELS[rng.next(LABELS.len())];
            if rng.next(2) == 0 && !labels.iter().any(|l| l == second) {
                labels.push(second.to_owned());
            }
            let assignee =
                (rng.next(5) != 0).then(|| USERS[rng.next(USERS.len())].login.to_owned());
            let reporter = USERS[rng.next(USERS.len())].login.to_owned();
            let estimate = (rng.next(3) != 0).then(|| Estimate {
                points: [1, 2, 3, 5, 8, 13][rng.next(6)],
                due: (rng.next(2) == 0).then(|| format!("2026-12-{:02}", 1 + rng.next(28))),
            });
            let id = tracker.allocate_id(project);
            let comments = (0..rng.next(3))
                .map(|c| {
                    let author = USERS[(i + c) % USERS.len()].login;
                    let mut comment = tracker.comment(
                        author,
                        &format!("Seen this on {subject} too."),
                        "2026-11-02",
                    );
                    if c == 0 && i % 4 == 0 {
                        let reply =
                            tracker.comment(&reporter, "Thanks, looking into it.", "2026-11-03");
                        comment.replies.push(reply);
                    }
                    comment
                })
                .collect();
            tracker.issues.push(Issue {
                id,
                project: project.to_owned(),
                title: format!("The {subject} {problem}"),
                body: format!("Reported by {reporter}: the {subject} {problem}. Steps to reproduce are in the logs."),
                status,
                priority,
                labels,
                assignee,
                reporter,
                estimate,
                created: format!("2026-{:02}-{:02}", 9 + i % 3, 1 + (i * 7) % 28),
                resolution: (status == Status::Closed).then(|| "fixed".to_owned()),
                comments,
            });
        }
        tracker
    }

    fn allocate_id(&mut self, project: &str) -> String {
        let number = self.next_number.entry(project.to_owned()).or_insert(1);
        let id = format!("{project}-{number}");
        *number += 1;
        id
    }

    fn comment(&mut self, author: &str, body: &str, created: &str) -> Comment {
        let id = self.next_comment;
        self.next_comment += 1;
        Comment {
            id,
            author: author.into(),
            body: body.into(),
            created: created.into(),
            replies: Vec::new(),
        }
    }

    pub(super) fn issue(&self, id: &str) -> Result<&Issue, String> {
        self.issues
            .iter()
            .find(|i| i.id.eq_ignore_ascii_case(id))
            .ok_or_else(|| no_issue(id))
    }

    pub(super) fn issue_mut(&mut self, id: &str) -> Result<&mut Issue, String> {
        self.issues
            .iter_mut()
            .find(|i| i.id.eq_ignore_ascii_case(id))
            .ok_or_else(|| no_issue(id))
    }

    pub(super) fn create(&mut self, new: NewIssue) -> Result<&Issue, String> {
        project(&new.project)?;
        if let Some(assignee) = &new.assignee {
            user(assignee)?;
        }
        let id = self.allocate_id(&new.project.to_uppercase());
        self.issues.push(Issue {
            id,
            project: new.project.to_uppercase(),
            title: new.title,
            body: new.body.unwrap_or_default(),
            status: Status::Open,
            priority: new.priority.unwrap_or(Priority::Medium),
            labels: new.labels.unwrap_or_default(),
            assignee: new.assignee,
            reporter: "codemode".into(),
            estimate: new.estimate,
            created: "2026-11-22".into(),
            resolution: None,
            comments: Vec::new(),
        });
        Ok(self.issues.last().expect("just pushed"))
    }

    pub(super) fn add_comment(
        &mut self,
        issue_id: &str,
        author: &str,
        body: &str,
        reply_to: Option<u32>,
    ) -> Result<Comment, String> {
        user(author)?;
        let comment = self.comment(author, body, "2026-11-22");
        let issue = self.issue_mut(issue_id)?;
        match reply_to {
            None => issue.comments.push(comment.clone()),
            Some(parent) => {
                let parent = find_comment(&mut issue.comments, parent)
                    .ok_or_else(|| format!("issue {issue_id} has no comment {parent}"))?;
                parent.replies.push(comment.clone());
            }
        }
        Ok(comment)
    }

    pub(super) fn delete(&mut self, id: &str) -> Result<Issue, String> {
        let index = self
            .issues
            .iter()
            .position(|i| i.id.eq_ignore_ascii_case(id))
            .ok_or_else(|| no_issue(id))?;
        Ok(self.issues.remove(index))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct NewIssue {
    pub project: String,
    pub title: String,
    pub body: Option<String>,
    pub priority: Option<Priority>,
    pub labels: Option<Vec<String>>,
    pub assignee: Option<String>,
    pub estimate: Option<Estimate>,
}

fn find_comment(comments: &mut [Comment], id: u32) -> Option<&mut Comment> {
    for comment in comments {
        if comment.id == id {
            return Some(comment);
        }
        if let Some(found) = find_comment(&mut comment.replies, id) {
            return Some(found);
        }
    }
    None
}

fn no_issue(id: &str) -> String {
    format!("no issue {id}; list_issues shows the existing ids")
}

pub(super) fn project(key: &str) -> Result<&'static Project, String> {
    PROJECTS
        .iter()
        .find(|p| p.key.eq_ignore_ascii_case(key))
        .ok_or_else(|| {
            let keys: Vec<&str> = PROJECTS.iter().map(|p| p.key).collect();
            format!("no project {key}; projects are {}", keys.join(", "))
        })
}

pub(super) fn user(login: &str) -> Result<&'static User, String> {
    USERS.iter().find(|u| u.login == login).ok_or_else(|| {
        let logins: Vec<&str> = USERS.iter().map(|u| u.login).collect();
        format!("no user {login}; users are {}", logins.join(", "))
    })
}

/// The short form used in lists.
pub(super) fn summary(issue: &Issue) -> Value {
    json!({
        "id": issue.id,
        "title": issue.title,
        "status": issue.status,
        "priority": issue.priority,
        "labels": issue.labels,
        "assignee": issue.assignee,
        "points": issue.estimate.as_ref().map(|e| e.points),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_is_deterministic_and_varied() {
        let a = Tracker::seeded();
        let b = Tracker::seeded();
        assert_eq!(
            serde_json::to_string(&a.issues).unwrap(),
            serde_json::to_string(&b.issues).unwrap()
        );
        assert_eq!(a.issues.len(), 36);
        for status in [Status::Open, Status::InProgress, Status::Closed] {
            assert!(
                a.issues.iter().any(|i| i.status == status),
                "{status:?} missing"
            );
        }
        assert!(
            a.issues
                .iter()
                .any(|i| i.comments.iter().any(|c| !c.replies.is_empty()))
        );
        assert!(a.issues.iter().any(|i| i.assignee.is_none()));
    }

    #[test]
    fn replies_nest_and_bad_parents_are_reported() {
        let mut t = Tracker::seeded();
        let top = t.add_comment("CORE-1", "ada", "top", None).unwrap();
        let reply = t
            .add_comment("CORE-1", "alan", "reply", Some(top.id))
            .unwrap();
        let nested = t
            .add_comment("CORE-1", "grace", "nested", Some(reply.id))
            .unwrap();
        let issue = t.issue("CORE-1").unwrap();
        let last = issue.comments.last().unwrap();
        assert_eq!(last.replies[0].replies[0].id, nested.id);
        assert!(
            t.add_comment("CORE-1", "ada", "x", Some(9999))
                .unwrap_err()
                .contains("no comment 9999")
        );
        assert!(
            t.add_comment("CORE-1", "nobody", "x", None)
                .unwrap_err()
                .contains("no user nobody")
        );
    }
}
