//! `ai-worker/eval/menu.json` is the worker's copy of the seeded menu (its warm-up prompt, the
//! evaluation sets, the benchmarks); the migrations seed the real one. This keeps the two equal.

use ai_protocol::MenuCatalog;
use app::services::menu::load_menu;

use crate::helpers::spawn_app;

const MENU_JSON: &str = include_str!("../../../ai-worker/eval/menu.json");

#[tokio::test]
async fn the_workers_menu_json_is_the_seeded_menu() {
    let app = spawn_app().await;
    // The catalog the voice service sends the worker with every job.
    let seeded = load_menu(&app.pool).await.unwrap().catalog();
    let copy: MenuCatalog = serde_json::from_str(MENU_JSON).expect("menu.json is a MenuCatalog");
    assert_eq!(
        copy,
        seeded,
        "ai-worker/eval/menu.json differs from the seeded menu; the seeded catalog is:\n{}",
        serde_json::to_string_pretty(&seeded).unwrap()
    );
}
