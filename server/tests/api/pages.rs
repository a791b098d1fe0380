//! Server-rendered pages, before any JavaScript runs.

use reqwest::StatusCode;

use crate::helpers::spawn_app;

#[tokio::test]
async fn menu_page_is_server_rendered_in_korean_by_default() {
    let app = spawn_app().await;
    let res = app.client.get(app.url("/menu")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    assert!(html.contains("<html lang=\"ko\""), "html lang is ko");
    for text in [
        "발렌타인 디너",
        "48,000원",
        "샴페인 축제 디너",
        "120,000원",
        "치킨 디너",
        "28,000원",
    ] {
        assert!(html.contains(text), "menu page shows {text}");
    }
}

#[tokio::test]
async fn the_lang_cookie_renders_english() {
    let app = spawn_app().await;
    let res = app
        .client
        .get(app.url("/menu"))
        .header("Cookie", "lang=en")
        .send()
        .await
        .unwrap();
    let html = res.text().await.unwrap();
    assert!(html.contains("Champagne Feast Dinner"));
    assert!(html.contains("₩52,000"));
    assert!(html.contains("<html lang=\"en\""));
    assert!(
        html.contains(">Valentine Dinner<"),
        "visible names are English"
    );
}

#[tokio::test]
async fn set_language_form_post_sets_cookie_and_redirects_back() {
    let app = spawn_app().await;
    let res = app
        .client
        .post(app.url("/api/set_language"))
        .header("Referer", app.url("/menu"))
        .header("Accept", "text/html")
        .form(&[("lang", "en")])
        .send()
        .await
        .unwrap();
    assert!(res.status().is_redirection(), "status {}", res.status());
    let cookie = res
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(cookie.starts_with("lang=en"), "cookie {cookie}");
    assert!(cookie.contains("Path=/"));
}

#[tokio::test]
async fn unknown_dinner_is_404_and_known_one_is_200() {
    let app = spawn_app().await;
    let res = app.client.get(app.url("/menu/nope")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let res = app
        .client
        .get(app.url("/menu/french"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    assert!(html.contains("프렌치 디너"));
    assert!(html.contains("67,000원"), "deluxe total 52,000 + 15,000");
    let res = app
        .client
        .get(app.url("/no-such-page"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn prices_come_from_the_database() {
    let app = spawn_app().await;
    sqlx::query("UPDATE menus SET base_price = 49500 WHERE code = 'valentine'")
        .execute(&app.pool)
        .await
        .unwrap();
    let html = app
        .client
        .get(app.url("/menu"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("49,500원"),
        "the page shows the price now in the database"
    );
}

/// The suite starts many apps in one process: one starting must not leave another's page
/// waiting forever for data that was never loaded. (With the listing made per app, about one
/// first page in 40 hung here.)
#[tokio::test]
async fn pages_finish_while_other_apps_start() {
    for round in 0..10 {
        let starts: Vec<_> = (0..5)
            .map(|_| tokio::spawn(first_page_finishes()))
            .collect();
        for start in starts {
            assert!(
                start.await.unwrap(),
                "a first page of round {round} did not finish"
            );
        }
    }
}

/// Whether a new app's first home page arrives whole within 10 s.
async fn first_page_finishes() -> bool {
    let app = spawn_app().await;
    let Ok(res) = app.client.get(app.url("/")).send().await else {
        return false;
    };
    let body = tokio::time::timeout(std::time::Duration::from_secs(10), res.text()).await;
    matches!(body, Ok(Ok(html)) if html.contains("</html>"))
}
