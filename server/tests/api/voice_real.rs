//! The voice endpoints against the real `ai-worker` with the small CPU models: audio upload →
//! transcript, silence → 4a, transcript → priced preview. Needs `scripts/models.sh`,
//! `scripts/make_voice_samples.sh` and a built `ai-worker` (`AI_WORKER_BIN`, default
//! target/debug/ai-worker); `scripts/test.sh` provides all three.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::json;

use crate::helpers::{card, line, order, spawn_app_with_ai, unique_email, AiQueues, CARD_OK};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn required(path: PathBuf, how: &str) -> PathBuf {
    assert!(path.exists(), "{} is missing: {how}", path.display());
    path
}

/// A real worker (LLM in-process, STT in its child) on this test's private queues.
struct Worker(Child);

impl Drop for Worker {
    fn drop(&mut self) {
        // SIGTERM would let it finish a job; the test is over, so stop it now. The STT child
        // notices its parent's queue is gone only through its own stop, so kill it by group.
        let _ = Command::new("pkill")
            .args(["-KILL", "-P", &self.0.id().to_string()])
            .status();
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_worker(queues: &AiQueues) -> Worker {
    let bin = std::env::var("AI_WORKER_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|_| root().join("target/debug/ai-worker"));
    let bin = required(
        bin,
        "build it with `cargo build -p ai-worker -p ai-worker-stt --bins`",
    );
    let models = root().join("models");
    required(models.join("ggml-base.bin"), "run scripts/models.sh");
    Worker(
        Command::new(bin)
            .args([
                "serve",
                "--llm-queue",
                &queues.llm,
                "--stt-queue",
                &queues.stt,
            ])
            .env(
                "LLM_MODEL",
                models.join("qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"),
            )
            .env("WHISPER_MODEL", models.join("ggml-base.bin"))
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .spawn()
            .expect("ai-worker starts"),
    )
}

fn sample(name: &str) -> Vec<u8> {
    let path = required(
        root().join("target/voice-samples").join(name),
        "run scripts/make_voice_samples.sh",
    );
    std::fs::read(path).expect("sample readable")
}

/// Sends `req` with room for a slow CPU job; returns the status and the JSON body.
async fn send(req: reqwest::RequestBuilder) -> (u16, serde_json::Value) {
    let res = req.timeout(Duration::from_secs(300)).send().await.unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap())
}

#[tokio::test]
async fn spoken_audio_becomes_a_priced_preview_and_silence_is_4a() {
    // Generous: the first job also loads both models on a busy 2-core machine.
    let (app, queues) = spawn_app_with_ai(Duration::from_secs(240)).await;
    let _worker = start_worker(&queues);
    let stt = |query: &str, content_type: &str, audio: Vec<u8>| {
        app.client
            .post(app.url(&format!("/api/voice/stt{query}")))
            .header("content-type", content_type)
            .body(audio)
    };
    let analyze =
        |body: serde_json::Value| app.client.post(app.url("/api/voice/analyze")).json(&body);

    let (status, body) = send(stt("?language=en", "audio/webm", sample("en_order.webm"))).await;
    assert_eq!(status, 200, "{body}");
    let transcript = body["transcript"].as_str().unwrap().to_lowercase();
    assert!(transcript.contains("french"), "{transcript}");

    let (status, body) = send(stt("", "audio/wav", sample("silence.wav"))).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["code"], "speech_not_recognized");
    assert_eq!(
        body["error"]["message"],
        "음성을 인식할 수 없습니다. 다시 시도해 주세요."
    );

    let (status, body) = send(analyze(
        json!({ "transcript": "치킨 디너 2인분 매운 맛으로 주세요" }),
    ))
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["analysis"]["menu"], "chicken");
    assert_eq!(body["analysis"]["style"], "spicy");
    assert_eq!(body["analysis"]["quantity"], 2);
    assert!(
        body["quote"].is_object(),
        "a complete order is priced: {body}"
    );

    let (status, body) = send(analyze(json!({ "transcript": "오늘 날씨가 참 좋네요" }))).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["code"], "order_not_understood");

    // "The usual" comes from the logged-in customer's paid orders, which reach the prompt.
    let customer = app.signup(&unique_email("usual")).await;
    let past = order("gangnam", json!([line("french", "grand", 2)]), json!([]));
    let res = app.checkout(&customer, past, card(CARD_OK)).await;
    assert_eq!(res.status(), 200, "the past order is paid");
    let (status, body) = send(
        analyze(json!({ "transcript": "the usual please" }))
            .header(reqwest::header::COOKIE, &customer.cookie),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["analysis"]["menu"], "french", "{body}");
    assert_eq!(body["analysis"]["style"], "grand", "{body}");
    assert_eq!(body["analysis"]["quantity"], 2, "{body}");

    // Several dinners: every line in one priced draft; an edit by name removes its line.
    let (status, body) = send(analyze(json!({
        "transcript": "발렌타인 디너 그랜드 하나하고 치킨 디너 매운 맛 두 개요"
    })))
    .await;
    assert_eq!(status, 200, "{body}");
    let dinners = |body: &serde_json::Value| -> Vec<String> {
        body["order_draft"]["lines"]
            .as_array()
            .map(|lines| {
                let name = |l: &serde_json::Value| {
                    format!("{} {} x{}", l["menu"], l["style"], l["quantity"])
                };
                lines.iter().map(name).collect()
            })
            .unwrap_or_default()
    };
    assert_eq!(
        dinners(&body),
        [r#""valentine" "grand" x1"#, r#""chicken" "spicy" x2"#],
        "{body}"
    );
    assert_eq!(body["analysis"]["lines"].as_array().map(Vec::len), Some(2));
    // (48,000 + 8,000) + 2 × (28,000 + 1,000) before any discount: both lines are priced.
    assert_eq!(
        body["quote"]["pricing"]["original_price"], 114_000,
        "{body}"
    );
    let session = body["session_id"].clone();
    let (status, body) = send(analyze(json!({
        "transcript": "remove the chicken dinners", "session_id": session
    })))
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(dinners(&body), [r#""valentine" "grand" x1"#], "{body}");
    queues.delete().await;
}
