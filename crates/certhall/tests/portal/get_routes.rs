//! No GET changes state (issue 16, finding 9): every GET route of the portal,
//! the payment centre, the back office, the APIs and the PKI is walked — as a
//! stranger, as the holder and as staff — and every table is as it was.
//!
//! What a GET may write, and why: sessions (holders' and staff's, including
//! their idle clocks) and rate-limit events; the audit log, because viewing a
//! holder's materials must be recorded; a reviewer's claim on the
//! application they open, a 20-minute lease that decides nothing; and
//! `/readyz`'s one-row write probe, which is what it is for.
//!
//! The routes come from the router sources, so a GET route added without
//! being walked here fails this test.

use common::TestApp;
use common::browser::Browser;
use common::flow::to_method;
use domain::Business;
use testkit::{Backend, on_both_databases};

const MAY_CHANGE: &[&str] = &[
    "sessions",
    "staff_sessions",
    "rate_events",
    "audit_log",
    "audit_head",
    "review_claims",
    "health_probe",
];

/// Every `.route("…", get(…))` pattern in the web crate's sources.
fn get_routes() -> Vec<String> {
    fn walk(dir: &std::path::Path, out: &mut Vec<String>) {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                let src = std::fs::read_to_string(&p).unwrap();
                let mut rest = src.as_str();
                while let Some(i) = rest.find(".route(") {
                    rest = &rest[i + 7..];
                    let call = &rest[..rest.find(")\n").unwrap_or(rest.len()).min(rest.len())];
                    let Some(q) = call.find('"') else { continue };
                    let path = &call[q + 1..];
                    let path = &path[..path.find('"').unwrap()];
                    let handlers = &call[q + 1 + path.len()..];
                    if handlers
                        .trim_start_matches(['"', ',', ' ', '\n'])
                        .starts_with("get(")
                    {
                        out.push(path.to_string());
                    }
                }
            }
        }
    }
    let mut out = Vec::new();
    walk(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../web/src"),
        &mut out,
    );
    out.sort();
    out.dedup();
    out
}

/// Whether `path` (no query) is an instance of route `pattern`.
fn matches(pattern: &str, path: &str) -> bool {
    let (p, u): (Vec<&str>, Vec<&str>) = (pattern.split('/').collect(), path.split('/').collect());
    if let Some(last) = p.last()
        && last.starts_with("{*")
    {
        return u.len() >= p.len() && p[..p.len() - 1].iter().zip(&u).all(|(a, b)| seg(a, b));
    }
    p.len() == u.len() && p.iter().zip(&u).all(|(a, b)| seg(a, b))
}

fn seg(pattern: &str, actual: &str) -> bool {
    (pattern.starts_with('{') && !actual.is_empty()) || pattern == actual
}

async fn every_get_changes_nothing(backend: Backend) {
    let app = TestApp::new()
        .backend(backend)
        .priced(Business::Change, 100)
        .spawn()
        .await;
    let (holder, app_id, order_id, _) = to_method(&app, "13812345678").await;
    // A bank receipt, for finance's receipt page.
    let page = holder.get(&format!("/pay/{order_id}/bank")).await;
    holder
        .upload(
            &page,
            &format!("/pay/{order_id}/bank"),
            "回单.pdf",
            common::holder::pdf(),
        )
        .await;
    let q = |sql: String| {
        let app = &app;
        async move { app.text(&sql).await }
    };
    let material = q(format!(
        "SELECT id FROM materials WHERE application_id = '{app_id}' ORDER BY id LIMIT 1"
    ))
    .await;
    let serial = q(format!(
        "SELECT cert_serial FROM applications WHERE id = '{app_id}'"
    ))
    .await;
    let transfer = q("SELECT id FROM bank_transfers".into()).await;
    let no = q(format!(
        "SELECT out_trade_no FROM orders WHERE id = '{order_id}'"
    ))
    .await;
    let admin = common::staff::staff(&app, "zhao.admin", "admin", &[]).await;
    let reviewer = common::staff::staff(&app, "wang.reviewer", "reviewer", &[]).await;
    let recovery = common::staff::staff(&app, "zhou.recovery", "key_recovery", &[]).await;
    let stranger = Browser::new(&app.base);

    let public: Vec<String> = [
        "/",
        "/static/site.css",
        "/static/site.js",
        "/branding/logo",
        "/signin",
        "/signin?next=/me",
        "/lang/en?next=/selfservice",
        "/lang/zh",
        "/selfservice",
        "/selfservice/change",
        "/selfservice/new",
        "/selfservice/renew",
        "/selfservice/reissue",
        "/selfservice/seal",
        "/selfservice/unlock",
        "/selfservice/revoke",
        "/download",
        "/download/certhall-assistant",
        "/download/certhall-assistant.deb",
        "/help",
        "/handoff/continue",
        "/handoff/not-a-link",
        "/query",
        "/healthz",
        "/readyz",
        "/metrics",
        "/pki/root.crt",
        "/pki/issuing.crt",
        "/pki/ca.pem",
        "/pki/crl",
        "/pki/ocsp/MAA%3D",
        "/pay/terms/payment",
        "/pay/terms/service",
        "/api/v1/businesses",
        "/api/v1/assistant/enveloped-key",
        "/admin/signin",
        "/admin/setup/not-a-link",
    ]
    .iter()
    .map(|s| s.to_string())
    .chain([
        format!("/query?serial={serial}"),
        format!("/query/{serial}/download?format=pem"),
        format!("/query/{serial}/download?format=der"),
        format!("/api/v1/certificates/{serial}"),
    ])
    .collect();
    let holder_pages = vec![
        "/me".to_string(),
        format!("/me/applications/{app_id}"),
        format!("/apply/{app_id}"),
        format!("/apply/{app_id}/form"),
        format!("/apply/{app_id}/materials"),
        format!("/apply/{app_id}/done"),
        format!("/materials/{material}"),
        format!("/pay/{order_id}"),
        format!("/pay/{order_id}/invoice"),
        format!("/pay/{order_id}/method"),
        format!("/pay/{order_id}/wechat"),
        format!("/pay/{order_id}/bank"),
        format!("/pay/{order_id}/status"),
        format!("/pay/{order_id}/success"),
        format!("/pay/{order_id}/invoice.pdf"),
        format!("/pay/return/alipay?out_trade_no={no}"),
    ];
    let staff_pages = vec![
        "/admin".to_string(),
        "/admin/applications".into(),
        format!("/admin/applications/{app_id}"),
        format!("/admin/materials/{material}"),
        "/admin/unlocks".into(),
        "/admin/certificates".into(),
        format!("/admin/certificates/{serial}"),
        "/admin/finance".into(),
        "/admin/finance/export/orders".into(),
        "/admin/finance/export/refunds".into(),
        "/admin/finance/export/invoices".into(),
        "/admin/finance/export/transfers".into(),
        format!("/admin/finance/receipts/{transfer}"),
        "/admin/products".into(),
        "/admin/audit".into(),
        "/admin/recovery".into(),
        "/admin/recovery/0190000000000000000000000000000a/key".into(),
    ];

    // Every GET route is walked.
    let walked: Vec<&str> = public
        .iter()
        .chain(&holder_pages)
        .chain(&staff_pages)
        .map(|u| u.split('?').next().unwrap())
        .collect();
    let routes = get_routes();
    for known in [
        "/pay/{id}/wechat",
        "/admin/setup/{token}",
        "/pki/ocsp/{*request}",
        "/pay/{id}/bank",
    ] {
        assert!(
            routes.iter().any(|r| r == known),
            "{known} not found in {routes:?}"
        );
    }
    assert!(routes.len() > 50, "{routes:?}");
    for route in routes {
        assert!(
            walked.iter().any(|u| matches(&route, u)),
            "GET {route} is not walked by this test"
        );
    }

    let before = app.full_snapshot(MAY_CHANGE).await;
    let visits = public
        .iter()
        .map(|u| (&stranger, u))
        .chain(public.iter().map(|u| (&holder, u)))
        .chain(holder_pages.iter().map(|u| (&holder, u)))
        .chain(holder_pages.iter().map(|u| (&stranger, u)))
        .chain(staff_pages.iter().map(|u| (&admin.browser, u)))
        .chain(staff_pages.iter().map(|u| (&reviewer.browser, u)))
        .chain(staff_pages.iter().map(|u| (&recovery.browser, u)))
        .chain(staff_pages.iter().map(|u| (&holder, u)));
    for (who, url) in visits {
        let page = who.get(url).await;
        assert!(
            page.status < 500,
            "GET {url}: {} {}",
            page.status,
            page.html
        );
    }
    let after = app.full_snapshot(MAY_CHANGE).await;
    for (table, rows) in &before {
        assert_eq!(rows, &after[table], "a GET changed {table}");
    }
    app.server.stop().await;
}

on_both_databases!(every_get_changes_nothing);
