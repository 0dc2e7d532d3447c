//! Accounts, sessions, tokens, identities and permissions, through the HTTP API.

mod common;

use std::time::{Duration, Instant};

use axum::http::{Method, StatusCode, header};
use serde_json::{Value, json};

use backend::store::{DesignId, NewCommit, Person};
use common::{As, TestApp, password};

/// Creates `olga/lamp` directly in the store (designs cannot be created over HTTP yet).
fn create_lamp(app: &TestApp) {
    let person = Person {
        name: "Olga".into(),
        email: "olga@example.org".into(),
        time: 1_700_000_000,
    };
    app.state
        .store
        .create(
            &DesignId::new("olga", "lamp").unwrap(),
            &[NewCommit {
                author: person.clone(),
                committer: person,
                message: "Lamp\n".into(),
                files: [("okh.toml".to_owned(), b"name = \"Lamp\"\n".to_vec())].into(),
            }],
        )
        .unwrap();
}

fn new_account(username: &str) -> Value {
    json!({"username": username, "email": format!("{username}@example.org"), "password": password(username)})
}

#[tokio::test]
async fn sign_up_sign_in_and_out() {
    let app = TestApp::new().await;
    let cookie = app.sign_up("ada").await;
    let me = app
        .request(
            Method::GET,
            "/api/session",
            &As::Cookie(cookie.clone()),
            None,
        )
        .await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.json()["account"]["username"], "ada");
    assert_eq!(me.json()["via"], "session");
    // The first account becomes the instance admin; the next does not.
    assert_eq!(me.json()["account"]["is_admin"], true);
    let bob = app.sign_up("bob").await;
    let me = app
        .request(Method::GET, "/api/session", &As::Cookie(bob), None)
        .await;
    assert_eq!(me.json()["account"]["is_admin"], false);

    let out = app
        .request(
            Method::DELETE,
            "/api/session",
            &As::Cookie(cookie.clone()),
            None,
        )
        .await;
    assert_eq!(out.status, StatusCode::NO_CONTENT);
    assert_eq!(out.session_cookie().as_deref(), Some("atelier_session="));
    let me = app
        .request(Method::GET, "/api/session", &As::Cookie(cookie), None)
        .await;
    // Signed out is an answer, not an error: nobody.
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.json()["account"], serde_json::Value::Null);
    assert_eq!(me.json()["via"], "anonymous");
    let nobody = app.get("/api/session").await;
    assert_eq!(nobody.status, StatusCode::OK);
    assert_eq!(nobody.json()["account"], serde_json::Value::Null);

    let again = app.sign_in("ada").await;
    let me = app
        .request(Method::GET, "/api/session", &As::Cookie(again), None)
        .await;
    assert_eq!(me.status, StatusCode::OK);

    // An account's email signs in as well as its username, in any case.
    for (login, password, status) in [
        ("ADA@example.org", common::password("ada"), StatusCode::OK),
        (
            "ada@example.org",
            "not-her-password".to_owned(),
            StatusCode::UNAUTHORIZED,
        ),
        (
            "nobody@example.org",
            common::password("ada"),
            StatusCode::UNAUTHORIZED,
        ),
    ] {
        let answer = app
            .request(
                Method::POST,
                "/api/session",
                &As::Anonymous,
                Some(json!({"username": login, "password": password})),
            )
            .await;
        assert_eq!(answer.status, status, "{login}");
        if status == StatusCode::OK {
            assert_eq!(answer.json()["account"]["username"], "ada");
        }
    }
}

#[tokio::test]
async fn session_cookie_attributes() {
    let app = TestApp::new().await;
    let answer = app
        .request(
            Method::POST,
            "/api/accounts",
            &As::Anonymous,
            Some(new_account("ada")),
        )
        .await;
    let set_cookie = answer.headers[header::SET_COOKIE].to_str().unwrap();
    assert!(set_cookie.contains("; HttpOnly"), "{set_cookie}");
    assert!(set_cookie.contains("; SameSite=Lax"), "{set_cookie}");
    assert!(set_cookie.contains("; Path=/"), "{set_cookie}");
    assert!(!set_cookie.contains("Secure"), "{set_cookie}");
    // 128 random bits, hex.
    let value = answer.session_cookie().unwrap();
    assert_eq!(value.len(), "atelier_session=".len() + 32, "{value}");

    let https = TestApp::with(|c| c.public_url = Some("https://atelier.example.org".into())).await;
    let answer = https
        .request(
            Method::POST,
            "/api/accounts",
            &As::Anonymous,
            Some(new_account("ada")),
        )
        .await;
    let set_cookie = answer.headers[header::SET_COOKIE].to_str().unwrap();
    assert!(set_cookie.ends_with("; Secure"), "{set_cookie}");
}

#[tokio::test]
async fn sign_up_reports_every_bad_field() {
    let app = TestApp::new().await;
    let answer = app
        .request(
            Method::POST,
            "/api/accounts",
            &As::Anonymous,
            Some(json!({"username": "Ada!", "email": "not-an-email", "password": "short"})),
        )
        .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    let body = answer.json();
    assert_eq!(body["error"]["code"], "invalid");
    let fields: Vec<(&str, &str)> = body["error"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["field"].as_str().unwrap(), f["message"].as_str().unwrap()))
        .collect();
    assert_eq!(
        fields,
        [
            (
                "username",
                "username may not contain the capital 'A' (use lowercase: 'a')"
            ),
            (
                "email",
                "email must be an email address such as ada@example.org"
            ),
            ("password", "password must be at least 10 characters long"),
        ]
    );

    for reserved in ["api", "admin", "new", "settings", "search"] {
        let answer = app
            .request(
                Method::POST,
                "/api/accounts",
                &As::Anonymous,
                Some(new_account(reserved)),
            )
            .await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{reserved}");
        assert_eq!(
            answer.json()["error"]["fields"][0]["message"],
            format!("username \"{reserved}\" is reserved")
        );
    }

    let missing = app
        .request(
            Method::POST,
            "/api/accounts",
            &As::Anonymous,
            Some(json!({"username": "x"})),
        )
        .await;
    assert_eq!(missing.status, StatusCode::BAD_REQUEST);
    assert!(
        missing.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("email")
    );
}

#[tokio::test]
async fn duplicate_username_or_email_is_a_conflict() {
    let app = TestApp::new().await;
    app.sign_up("ada").await;
    let same_name = app
        .request(
            Method::POST,
            "/api/accounts",
            &As::Anonymous,
            Some(
                json!({"username": "ada", "email": "other@example.org", "password": "0123456789"}),
            ),
        )
        .await;
    assert_eq!(same_name.status, StatusCode::CONFLICT);
    assert_eq!(
        same_name.json()["error"]["message"],
        "the username \"ada\" is taken"
    );
    let same_email = app
        .request(
            Method::POST,
            "/api/accounts",
            &As::Anonymous,
            Some(json!({"username": "ada2", "email": "ADA@example.org", "password": "0123456789"})),
        )
        .await;
    assert_eq!(same_email.status, StatusCode::CONFLICT);
    assert_eq!(
        same_email.json()["error"]["message"],
        "the email ada@example.org belongs to another account"
    );
}

#[tokio::test]
async fn the_system_account_owns_samples_and_cannot_sign_in() {
    let app = TestApp::new().await;
    let (status, body) = app.json("/api/accounts/atelier").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["is_system"], true);
    let answer = app
        .request(
            Method::POST,
            "/api/session",
            &As::Anonymous,
            Some(json!({"username": "atelier", "password": "!"})),
        )
        .await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    let (_, maintainers) = app.json("/api/designs/atelier/anvil/maintainers").await;
    assert_eq!(maintainers, json!({"owner": "atelier", "maintainers": []}));
}

#[tokio::test]
async fn writes_with_a_cookie_need_the_csrf_header_or_same_origin() {
    let app = TestApp::new().await;
    let cookie = app.sign_up("ada").await;
    let body = json!({"name": "cli", "scopes": []});
    let refused = app
        .request(
            Method::POST,
            "/api/tokens",
            &As::CookieNoCsrf(cookie.clone()),
            Some(body.clone()),
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(refused.json()["error"]["code"], "csrf");

    let request = |origin: &str| {
        axum::http::Request::post("/api/tokens")
            .header(header::COOKIE, &cookie)
            .header(header::HOST, "atelier.test:8080")
            .header(header::ORIGIN, origin)
            .header(header::CONTENT_TYPE, "application/json")
            .body(axum::body::Body::from(body.to_string()))
            .unwrap()
    };
    assert_eq!(
        app.send(request("http://evil.example")).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.send(request("http://atelier.test:8080")).await.status,
        StatusCode::CREATED
    );
    // Signing in without the header is refused too (login CSRF).
    let sign_in = app
        .send(
            axum::http::Request::post("/api/session")
                .header(header::CONTENT_TYPE, "application/json")
                .body(axum::body::Body::from(
                    json!({"username": "ada", "password": password("ada")}).to_string(),
                ))
                .unwrap(),
        )
        .await;
    assert_eq!(sign_in.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn tokens_are_shown_once_listed_without_secret_and_revocable() {
    let app = TestApp::new().await;
    let cookie = app.sign_up("ada").await;
    let created = app
        .request(
            Method::POST,
            "/api/tokens",
            &As::Cookie(cookie.clone()),
            Some(json!({"name": "laptop CLI", "scopes": ["designs:write"]})),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED);
    let created = created.json();
    let secret = created["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("atl_") && secret.len() == 68, "{secret}");

    // Bearer requests need no CSRF header.
    let me = app
        .request(
            Method::GET,
            "/api/session",
            &As::Bearer(secret.clone()),
            None,
        )
        .await;
    assert_eq!(me.json()["via"], "token");
    assert_eq!(me.json()["scopes"], json!(["designs:write"]));

    let list = app
        .request(
            Method::GET,
            "/api/tokens",
            &As::Cookie(cookie.clone()),
            None,
        )
        .await
        .json();
    assert_eq!(list["total"], 1);
    let token = &list["tokens"][0];
    assert_eq!(token["name"], "laptop CLI");
    assert_eq!(token["scopes"], json!(["designs:write"]));
    assert!(token["last_used_at"].is_string(), "{token}");
    assert!(
        !list.to_string().contains(&secret[4..]),
        "the list leaks the secret"
    );

    let unknown_scope = app
        .request(
            Method::POST,
            "/api/tokens",
            &As::Cookie(cookie.clone()),
            Some(json!({"name": "x", "scopes": ["root"]})),
        )
        .await;
    assert_eq!(unknown_scope.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        unknown_scope.json()["error"]["fields"][0]["field"],
        "scopes"
    );

    // A token cannot manage tokens.
    let by_token = app
        .request(
            Method::GET,
            "/api/tokens",
            &As::Bearer(secret.clone()),
            None,
        )
        .await;
    assert_eq!(by_token.status, StatusCode::FORBIDDEN);

    let id = created["token"]["id"].as_i64().unwrap();
    let revoke = app
        .request(
            Method::DELETE,
            &format!("/api/tokens/{id}"),
            &As::Cookie(cookie.clone()),
            None,
        )
        .await;
    assert_eq!(revoke.status, StatusCode::NO_CONTENT);
    let after = app
        .request(Method::GET, "/api/session", &As::Bearer(secret), None)
        .await;
    assert_eq!(after.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        after.json()["error"]["message"],
        "the API token is invalid or revoked"
    );
}

#[tokio::test]
async fn password_change_revokes_every_session() {
    let app = TestApp::new().await;
    let first = app.sign_up("ada").await;
    let second = app.sign_in("ada").await;
    let wrong = app
        .request(
            Method::PUT,
            "/api/account/password",
            &As::Cookie(first.clone()),
            Some(json!({"current_password": "nope-nope-nope", "new_password": "a-new-long-password"})),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        wrong.json()["error"]["fields"][0]["field"],
        "current_password"
    );

    let changed = app
        .request(
            Method::PUT,
            "/api/account/password",
            &As::Cookie(first.clone()),
            Some(
                json!({"current_password": password("ada"), "new_password": "a-new-long-password"}),
            ),
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK);
    let fresh = changed.session_cookie().unwrap();
    for old in [first, second] {
        let me = app
            .request(Method::GET, "/api/session", &As::Cookie(old), None)
            .await;
        assert_eq!(me.json()["account"], serde_json::Value::Null);
    }
    let me = app
        .request(Method::GET, "/api/session", &As::Cookie(fresh), None)
        .await;
    assert_eq!(me.status, StatusCode::OK);
}

#[tokio::test]
async fn commit_emails_map_authors_to_accounts() {
    let app = TestApp::new().await;
    let (_, before) = app.json("/api/designs/atelier/anvil/contributors").await;
    assert_eq!(
        before["contributors"],
        json!([
            {"name": "Ada", "account": null, "commits": 1},
            {"name": "Grace Hopper", "account": null, "commits": 1},
        ])
    );
    // Ada signs up with ada@example.org: her commits are hers.
    let ada = app.sign_up("ada").await;
    let grace = app.sign_up("grace").await;
    // Grace claims the address she commits with (case differs).
    let added = app
        .request(
            Method::POST,
            "/api/account/emails",
            &As::Cookie(grace.clone()),
            Some(json!({"email": "GRACE.hopper@navy.example"})),
        )
        .await;
    assert_eq!(added.status, StatusCode::CREATED);
    assert_eq!(
        added.json(),
        json!({"email": "grace.hopper@navy.example", "primary": false, "verified": false})
    );
    let (_, after) = app.json("/api/designs/atelier/anvil/contributors").await;
    assert_eq!(after["contributors"][0]["account"], "ada");
    assert_eq!(after["contributors"][1]["account"], "grace");

    // Nobody else may claim it; the own email cannot be removed.
    let stolen = app
        .request(
            Method::POST,
            "/api/account/emails",
            &As::Cookie(ada.clone()),
            Some(json!({"email": "grace.hopper@navy.example"})),
        )
        .await;
    assert_eq!(stolen.status, StatusCode::CONFLICT);
    assert_eq!(
        stolen.json()["error"]["message"],
        "the email grace.hopper@navy.example belongs to another account"
    );
    let own = app
        .request(
            Method::DELETE,
            "/api/account/emails/ada@example.org",
            &As::Cookie(ada.clone()),
            None,
        )
        .await;
    assert_eq!(own.status, StatusCode::CONFLICT);

    let emails = app
        .request(
            Method::GET,
            "/api/account/emails",
            &As::Cookie(grace.clone()),
            None,
        )
        .await
        .json();
    assert_eq!(emails["emails"][0]["email"], "grace@example.org");
    assert_eq!(emails["emails"][0]["primary"], true);
    assert_eq!(emails["total"], 2);
}

#[tokio::test]
async fn a_sign_in_flood_is_rate_limited() {
    let app = TestApp::new().await;
    app.sign_up("ada").await;
    let attempt = |password: &'static str| {
        app.request(
            Method::POST,
            "/api/session",
            &As::Anonymous,
            Some(json!({"username": "ada", "password": password})),
        )
    };
    for _ in 0..10 {
        assert_eq!(
            attempt("wrong-password").await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    let limited = attempt("wrong-password").await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(limited.json()["error"]["code"], "rate_limited");
    let retry: u64 = limited.headers[header::RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((250..=300).contains(&retry), "Retry-After {retry}");
    // Even the right password waits.
    let right = app
        .request(
            Method::POST,
            "/api/session",
            &As::Anonymous,
            Some(json!({"username": "ada", "password": password("ada")})),
        )
        .await;
    assert_eq!(right.status, StatusCode::TOO_MANY_REQUESTS);
}

/// Many wrong sign-ins at once: the limit holds (attempts are counted before the hash is
/// checked), and the hashing queue refuses what it cannot take instead of growing.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_wrong_sign_ins_cannot_pass_the_limit() {
    let app = std::sync::Arc::new(TestApp::new().await);
    app.sign_up("ada").await;
    let tasks: Vec<_> = (0..60)
        .map(|_| {
            let app = app.clone();
            tokio::spawn(async move {
                app.request(
                    Method::POST,
                    "/api/session",
                    &As::Anonymous,
                    Some(json!({"username": "ada", "password": "wrong-password"})),
                )
                .await
                .status
            })
        })
        .collect();
    let mut statuses = std::collections::BTreeMap::new();
    for task in tasks {
        *statuses.entry(task.await.unwrap().as_u16()).or_insert(0) += 1;
    }
    let tried = statuses.get(&401).copied().unwrap_or(0);
    assert!(tried <= 10, "{statuses:?}");
    assert_eq!(
        statuses.values().sum::<i32>(),
        60,
        "every attempt answered: {statuses:?}"
    );
    assert!(
        statuses.keys().all(|s| [401, 429, 503].contains(s)),
        "{statuses:?}"
    );
}

#[tokio::test]
async fn wrong_current_passwords_and_sign_ups_per_address_are_limited() {
    let app = TestApp::new().await;
    let ada = As::Cookie(app.sign_up("ada").await);
    let change = |current: String| {
        app.request(
            Method::PUT,
            "/api/account/password",
            &ada,
            Some(json!({"current_password": current, "new_password": "a-new-long-password"})),
        )
    };
    for _ in 0..10 {
        assert_eq!(change("wrong".into()).await.status, StatusCode::BAD_REQUEST);
    }
    let limited = change(password("ada")).await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);

    // Sign-ups from one address.
    let address: std::net::IpAddr = "203.0.113.7".parse().unwrap();
    let mut statuses = Vec::new();
    for n in 0..=backend::accounts::SIGN_UPS_PER_HOUR {
        let mut request = axum::http::Request::builder()
            .method(Method::POST)
            .uri("/api/accounts")
            .header(header::CONTENT_TYPE, "application/json")
            .header(api::CSRF_HEADER, "1")
            .body(axum::body::Body::from(
                new_account(&format!("flood{n}")).to_string(),
            ))
            .unwrap();
        request
            .extensions_mut()
            .insert(backend::http::auth::ClientIp(address));
        statuses.push(app.send(request).await.status.as_u16());
    }
    let last = statuses.pop().unwrap();
    assert!(statuses.iter().all(|s| *s == 201), "{statuses:?}");
    assert_eq!(last, 429);
}

#[tokio::test]
async fn wrong_password_and_unknown_user_take_about_the_same_time() {
    let app = TestApp::new().await;
    app.sign_up("ada").await;
    async fn attempt(app: &TestApp, username: &str) -> Duration {
        let started = Instant::now();
        let answer = app
            .request(
                Method::POST,
                "/api/session",
                &As::Anonymous,
                Some(json!({"username": username, "password": "wrong-password"})),
            )
            .await;
        let took = started.elapsed();
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
        assert_eq!(
            answer.json()["error"]["message"],
            "wrong username, email or password"
        );
        took
    }
    // Interleaved, so load from the tests running beside this one falls on both alike; 10
    // attempts in all, as many failures as the limiter allows one (absent) address.
    let (mut known, mut unknown) = (Vec::new(), Vec::new());
    for _ in 0..5 {
        known.push(attempt(&app, "ada").await);
        unknown.push(attempt(&app, "nobody-here").await);
    }
    known.sort();
    unknown.sort();
    let (wrong_password, unknown_user) = (known[2], unknown[2]);
    // Skipping the hash for an unknown user would make it some 30 times faster.
    let ratio = unknown_user.as_secs_f64() / wrong_password.as_secs_f64();
    assert!(
        (1.0 / 3.0..3.0).contains(&ratio),
        "wrong password {wrong_password:?} vs unknown user {unknown_user:?}"
    );
}

/// Every state-changing endpoint × anonymous, stranger, maintainer, owner, admin.
#[tokio::test]
async fn authorization_matrix() {
    let app = TestApp::new().await;
    app.sign_up("root-admin").await; // first account: instance admin
    let olga = app.sign_up("olga").await;
    app.sign_up("max").await;
    app.sign_up("sam").await;
    create_lamp(&app);
    let set = app
        .request(
            Method::PUT,
            "/api/designs/olga/lamp/maintainers",
            &As::Cookie(olga),
            Some(json!({"maintainers": ["max"]})),
        )
        .await;
    assert_eq!(set.status, StatusCode::OK, "{:?}", set.json());
    // Proposal #1 of olga/lamp comes from cy's fork; sam has a fork of his own to propose.
    let cy = app.sign_up("cy").await;
    let store = &app.state.store;
    let lamp = DesignId::new("olga", "lamp").unwrap();
    for fork in ["cy", "sam"] {
        let fork = DesignId::new(fork, "lamp").unwrap();
        store.fork(&lamp, &fork).unwrap();
        store
            .commit_changes(
                &fork,
                &backend::store::CommitRequest {
                    branch: "main".into(),
                    expected_head: store.resolve(&fork, "main").unwrap(),
                    author: Person {
                        name: fork.owner().into(),
                        email: format!("{}@example.org", fork.owner()),
                        time: 1_700_000_100,
                    },
                    message: "Brighter".into(),
                    changes: vec![backend::store::Change::Put {
                        path: "NOTES.md".into(),
                        content: b"brighter\n".to_vec(),
                        mode: None,
                    }],
                },
            )
            .unwrap();
    }
    let opened = app
        .request(
            Method::POST,
            "/api/designs/olga/lamp/proposals",
            &As::Cookie(cy),
            Some(json!({"title": "Brighter", "head": "cy/lamp:main"})),
        )
        .await;
    assert_eq!(opened.status, StatusCode::CREATED, "{:?}", opened.json());

    let principals = [
        ("anonymous", None),
        ("stranger", Some("sam")),
        ("maintainer", Some("max")),
        ("owner", Some("olga")),
        ("admin", Some("root-admin")),
    ];
    type Endpoint = (
        &'static str,
        Method,
        &'static str,
        fn(&str) -> Option<Value>,
        [u16; 5],
    );
    // Expected statuses in the order of `principals`.
    let endpoints: [Endpoint; 20] = [
        (
            "sign up",
            Method::POST,
            "/api/accounts",
            |who| Some(new_account(&format!("new-{who}"))),
            [201, 201, 201, 201, 201],
        ),
        (
            "sign in",
            Method::POST,
            "/api/session",
            |_| Some(json!({"username": "sam", "password": password("sam")})),
            [200, 200, 200, 200, 200],
        ),
        (
            "sign out",
            Method::DELETE,
            "/api/session",
            |_| None,
            [401, 204, 204, 204, 204],
        ),
        (
            "create token",
            Method::POST,
            "/api/tokens",
            |_| Some(json!({"name": "t"})),
            [401, 201, 201, 201, 201],
        ),
        (
            "revoke token",
            Method::DELETE,
            "/api/tokens/{own}",
            |_| None,
            [401, 204, 204, 204, 204],
        ),
        (
            "add email",
            Method::POST,
            "/api/account/emails",
            |who| Some(json!({"email": format!("{who}@other.example")})),
            [401, 201, 201, 201, 201],
        ),
        (
            "remove email",
            Method::DELETE,
            "/api/account/emails/{own}",
            |_| None,
            [401, 204, 204, 204, 204],
        ),
        (
            "change password",
            Method::PUT,
            "/api/account/password",
            |who| Some(json!({"current_password": password(who), "new_password": password(who)})),
            [401, 200, 200, 200, 200],
        ),
        (
            "set maintainers",
            Method::PUT,
            "/api/designs/olga/lamp/maintainers",
            |_| Some(json!({"maintainers": ["max"]})),
            [401, 403, 403, 200, 200],
        ),
        (
            "set skill level",
            Method::PUT,
            "/api/accounts/max/skill",
            |_| Some(json!({"skill": "master"})),
            [401, 403, 403, 403, 200],
        ),
        (
            "read the event log",
            Method::GET,
            "/api/events",
            |_| None,
            [401, 403, 403, 403, 200],
        ),
        (
            "list proposals",
            Method::GET,
            "/api/designs/olga/lamp/proposals?state=all",
            |_| None,
            [200, 200, 200, 200, 200],
        ),
        (
            "read a proposal's files",
            Method::GET,
            "/api/designs/olga/lamp/proposals/1/files",
            |_| None,
            [200, 200, 200, 200, 200],
        ),
        (
            // Only from a design the caller can write (sam's fork); the admin's is a duplicate.
            "open a proposal",
            Method::POST,
            "/api/designs/olga/lamp/proposals",
            |_| Some(json!({"title": "Mine", "head": "sam/lamp:main"})),
            [401, 201, 403, 403, 409],
        ),
        (
            "edit someone's proposal",
            Method::PATCH,
            "/api/designs/olga/lamp/proposals/1",
            |_| Some(json!({"title": "Brighter still"})),
            [401, 403, 200, 200, 200],
        ),
        (
            "review a proposal",
            Method::POST,
            "/api/designs/olga/lamp/proposals/1/reviews",
            |_| Some(json!({"verdict": "comment", "body": "Looks good"})),
            [401, 201, 201, 201, 201],
        ),
        (
            "comment on a proposal",
            Method::POST,
            "/api/designs/olga/lamp/proposals/1/comments",
            |_| Some(json!({"body": "A question"})),
            [401, 201, 201, 201, 201],
        ),
        (
            // Past the gate, the stale expected head is a conflict.
            "merge a proposal",
            Method::PUT,
            "/api/designs/olga/lamp/proposals/1/merge",
            |_| Some(json!({"expected_head": "0000000000000000000000000000000000000001"})),
            [401, 403, 409, 409, 409],
        ),
        (
            // Needs write access to the source (cy's fork).
            "update a proposal from upstream",
            Method::POST,
            "/api/designs/olga/lamp/proposals/1/update",
            |_| Some(json!({"expected_head": "0000000000000000000000000000000000000001"})),
            [401, 403, 403, 403, 409],
        ),
        (
            "read the consumers' cursors",
            Method::GET,
            "/api/events/consumers",
            |_| None,
            [401, 403, 403, 403, 200],
        ),
    ];
    let mut failures = Vec::new();
    for (name, method, path, body, expected) in &endpoints {
        for ((role, user), want) in principals.iter().zip(expected) {
            let who = match user {
                None => As::Anonymous,
                Some(user) => As::Cookie(app.sign_in(user).await),
            };
            // Paths naming the caller's own resource.
            let mut path = path.to_string();
            if path.contains("{own}") {
                let own = match (&who, *name) {
                    (As::Cookie(cookie), "revoke token") => {
                        app.token(cookie, &[]).await;
                        // Newest first: the token just created.
                        let list = app
                            .request(Method::GET, "/api/tokens", &who, None)
                            .await
                            .json();
                        list["tokens"][0]["id"].to_string()
                    }
                    (As::Cookie(_), _) => {
                        let extra = format!("{}@extra.example", user.unwrap());
                        app.request(
                            Method::POST,
                            "/api/account/emails",
                            &who,
                            Some(json!({"email": extra})),
                        )
                        .await;
                        extra
                    }
                    _ => "1".into(),
                };
                path = path.replace("{own}", &own);
            }
            let answer = app
                .request(method.clone(), &path, &who, body(user.unwrap_or("anon")))
                .await;
            if answer.status.as_u16() != *want {
                failures.push(format!(
                    "{name} as {role}: {} (expected {want}) {}",
                    answer.status,
                    String::from_utf8_lossy(&answer.body)
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");

    // Tokens: design writes need the designs:write scope.
    let owner = app.sign_in("olga").await;
    let weak = app.token(&owner, &[]).await;
    let strong = app.token(&owner, &["designs:write"]).await;
    let body = Some(json!({"maintainers": []}));
    let path = "/api/designs/olga/lamp/maintainers";
    assert_eq!(
        app.request(Method::PUT, path, &As::Bearer(weak), body.clone())
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.request(Method::PUT, path, &As::Bearer(strong), body)
            .await
            .status,
        StatusCode::OK
    );

    // The event log: a token with events:read, which only admins may create; an admin's token
    // without it is refused like anyone's.
    let stranger = app.sign_in("sam").await;
    let refused = app
        .request(
            Method::POST,
            "/api/tokens",
            &As::Cookie(stranger),
            Some(json!({"name": "log", "scopes": ["events:read"]})),
        )
        .await;
    assert_eq!(
        refused.status,
        StatusCode::FORBIDDEN,
        "{:?}",
        refused.json()
    );
    let admin = app.sign_in("root-admin").await;
    let reader = app.token(&admin, &["events:read"]).await;
    let writer = app.token(&admin, &["designs:write"]).await;
    let log = app
        .request(Method::GET, "/api/events", &As::Bearer(reader), None)
        .await;
    assert_eq!(log.status, StatusCode::OK);
    let log = log.json();
    let kinds: Vec<&str> = log["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["design"] == "olga/lamp")
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    // Its creation, then every proposal step the matrix caused (opened twice, edited three
    // times, reviewed four times).
    let mut expected = vec!["design_created", "ref_change"];
    expected.extend(["proposal"; 9]);
    assert_eq!(kinds, expected, "{log}");
    assert_eq!(
        app.request(Method::GET, "/api/events", &As::Bearer(writer), None)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn maintainers_must_be_real_accounts() {
    let app = TestApp::new().await;
    let olga = app.sign_up("olga").await;
    create_lamp(&app);
    let answer = app
        .request(
            Method::PUT,
            "/api/designs/olga/lamp/maintainers",
            &As::Cookie(olga),
            Some(json!({"maintainers": ["ghost", "atelier", "olga"]})),
        )
        .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        answer.json()["error"]["message"],
        "no account named \"atelier\"; no account named \"ghost\"; olga owns the design and needs no maintainer role"
    );
    let (_, unchanged) = app.json("/api/designs/olga/lamp/maintainers").await;
    assert_eq!(unchanged["maintainers"], json!([]));
}

#[tokio::test]
async fn creating_and_forking_designs_is_limited_per_account() {
    use backend::accounts::DESIGNS_PER_HOUR;
    let app = TestApp::new().await;
    app.sign_up("root-admin").await;
    let ada = app.sign_up("ada").await;
    let bea = app.sign_up("bea").await;
    let mut statuses = Vec::new();
    for n in 0..DESIGNS_PER_HOUR {
        let answer = if n % 2 == 0 {
            app.request(
                Method::POST,
                "/api/designs",
                &As::Cookie(ada.clone()),
                Some(json!({"slug": format!("d{n}"), "name": "D", "function": "F", "license": "MIT"})),
            )
            .await
        } else {
            app.request(
                Method::POST,
                "/api/designs/atelier/anvil/forks",
                &As::Cookie(ada.clone()),
                Some(json!({"slug": format!("f{n}")})),
            )
            .await
        };
        statuses.push(answer.status.as_u16());
    }
    assert!(statuses.iter().all(|s| *s == 201), "{statuses:?}");
    for answer in [
        app.request(
            Method::POST,
            "/api/designs",
            &As::Cookie(ada.clone()),
            Some(json!({"slug": "one-more", "name": "D", "function": "F", "license": "MIT"})),
        )
        .await,
        app.request(
            Method::POST,
            "/api/designs/atelier/anvil/forks",
            &As::Cookie(ada.clone()),
            Some(json!({"slug": "one-more-fork"})),
        )
        .await,
    ] {
        assert_eq!(answer.status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(answer.json()["error"]["code"], "too_many_designs");
        assert!(answer.headers.contains_key(header::RETRY_AFTER));
    }
    // Another account is not affected.
    let other = app
        .request(
            Method::POST,
            "/api/designs/atelier/anvil/forks",
            &As::Cookie(bea),
            None,
        )
        .await;
    assert_eq!(other.status, StatusCode::CREATED, "{:?}", other.json());
}
