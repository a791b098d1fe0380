//! `VoiceRouter` and `AiClient` (DESIGN §7, §8) without the models: uploads are checked before
//! anything is queued, no answer in time is a 504, and a stand-in worker (plain Redis commands,
//! the real worker's delivery: take from the right, store the result, publish it) drives the
//! rest. Every test uses queues of its own, so a real worker never takes its jobs.

use std::time::{Duration, Instant};

use ai_protocol::{
    result_channel, result_key, AiErrorCode, AiFailure, AiResult, ConversationState, Customization,
    Intent, LlmJob, OrderState, Outcome, Transcript, VoiceAnalysis,
};
use app::infra::ai::{AiClient, AiClientError, AiConfig};
use app::infra::redis::RedisHandle;
use base64::Engine;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{error_of, redis_connection, redis_url, spawn_app_with_ai, AiQueues, TestApp};

const TIMEOUT: Duration = Duration::from_secs(5);

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// A valid little WAV file: 0.1 s of 16 kHz mono silence.
fn wav() -> Vec<u8> {
    let samples = 1_600u32;
    let data_len = samples * 2;
    let mut out = Vec::with_capacity(44 + data_len as usize);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data_len).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes()); // PCM
    out.extend_from_slice(&1u16.to_le_bytes()); // mono
    out.extend_from_slice(&16_000u32.to_le_bytes());
    out.extend_from_slice(&32_000u32.to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&16u16.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data_len.to_le_bytes());
    out.resize(44 + data_len as usize, 0);
    out
}

// ---------------------------------------------------------------------------
// A stand-in worker
// ---------------------------------------------------------------------------

/// How the stand-in delivers its answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Delivery {
    /// Like the real worker: store under the result key, then publish.
    StoreAndPublish,
    /// Only the stored key (a published message that got lost).
    StoreOnly,
    /// Only the message.
    PublishOnly,
}

/// Takes `jobs` jobs off `queue` from the right, as the real worker does, and answers each
/// after `delay`; returns the jobs it took.
fn fake_worker(
    queue: &str,
    jobs: usize,
    delay: Duration,
    delivery: Delivery,
    answer: impl Fn(&Value) -> Outcome + Send + 'static,
) -> tokio::task::JoinHandle<Vec<Value>> {
    let queue = queue.to_owned();
    tokio::spawn(async move {
        let mut conn = redis_connection().await;
        let mut seen = Vec::new();
        let give_up = Instant::now() + Duration::from_secs(20);
        while seen.len() < jobs {
            assert!(Instant::now() < give_up, "no job arrived on {queue}");
            let job: Option<String> = redis::cmd("RPOP")
                .arg(&queue)
                .query_async(&mut conn)
                .await
                .unwrap();
            let Some(job) = job else {
                tokio::time::sleep(Duration::from_millis(20)).await;
                continue;
            };
            let job: Value = serde_json::from_str(&job).unwrap();
            let request_id = job["request_id"].as_str().unwrap().to_owned();
            tokio::time::sleep(delay).await;
            let result = AiResult {
                request_id: request_id.clone(),
                worker_id: "fake-worker".into(),
                processing_ms: 1,
                outcome: answer(&job),
            };
            let json = serde_json::to_string(&result).unwrap();
            if delivery != Delivery::PublishOnly {
                let _: () = redis::cmd("SET")
                    .arg(result_key(&request_id))
                    .arg(&json)
                    .arg("EX")
                    .arg(300)
                    .query_async(&mut conn)
                    .await
                    .unwrap();
            }
            if delivery != Delivery::StoreOnly {
                let _: i64 = redis::cmd("PUBLISH")
                    .arg(result_channel(&request_id))
                    .arg(&json)
                    .query_async(&mut conn)
                    .await
                    .unwrap();
            }
            seen.push(job);
        }
        seen
    })
}

fn transcript(text: &str) -> Outcome {
    Outcome::Transcript(Transcript {
        text: text.into(),
        language: "ko".into(),
        audio_ms: 100,
    })
}

fn failed(code: AiErrorCode) -> Outcome {
    Outcome::Failed(AiFailure {
        code,
        message: "stand-in failure".into(),
    })
}

fn chicken(style: &str, quantity: u32, sides: &[&str]) -> OrderState {
    OrderState {
        menu: Some("chicken".into()),
        style: Some(style.into()),
        quantity: Some(quantity),
        customizations: vec![],
        side_dishes: sides.iter().map(|s| s.to_string()).collect(),
        more_lines: vec![],
    }
}

fn analysis(order_state: OrderState, confidence: f32) -> Outcome {
    let complete = order_state.is_complete();
    Outcome::Analysis(Box::new(VoiceAnalysis {
        intent: if confidence < 0.7 {
            Intent::Unclear
        } else {
            Intent::Order
        },
        menu: order_state.menu.clone(),
        style: order_state.style.clone(),
        quantity: order_state.quantity,
        customizations: order_state.customizations.clone(),
        side_dishes: order_state.side_dishes.clone(),
        confidence,
        response: "치킨 디너를 준비했어요.".into(),
        lines: order_state.lines(),
        recommended_menu: None,
        alternatives: vec![],
        additional_questions: if confidence < 0.7 {
            vec!["어떤 디너를 원하세요?".into()]
        } else {
            vec![]
        },
        order_state,
        state: if complete {
            ConversationState::Ready
        } else {
            ConversationState::Collecting
        },
    }))
}

async fn post_audio(
    app: &TestApp,
    path: &str,
    content_type: &str,
    body: Vec<u8>,
) -> reqwest::Response {
    app.client
        .post(app.url(path))
        .header(reqwest::header::CONTENT_TYPE, content_type)
        .body(body)
        .send()
        .await
        .unwrap()
}

/// A multipart form whose `audio` field is `bytes`, as a browser uploads a recording.
fn audio_form(bytes: Vec<u8>, file_name: &str, mime: &str) -> reqwest::multipart::Form {
    reqwest::multipart::Form::new().part("audio", audio_part(bytes, file_name, mime))
}

fn audio_part(bytes: Vec<u8>, file_name: &str, mime: &str) -> reqwest::multipart::Part {
    reqwest::multipart::Part::bytes(bytes)
        .file_name(file_name.to_owned())
        .mime_str(mime)
        .unwrap()
}

async fn post_form(app: &TestApp, path: &str, form: reqwest::multipart::Form) -> reqwest::Response {
    app.client
        .post(app.url(path))
        .multipart(form)
        .send()
        .await
        .unwrap()
}

// ---------------------------------------------------------------------------
// Checked before anything is queued
// ---------------------------------------------------------------------------

#[tokio::test]
async fn an_upload_over_10_mb_is_413_naming_the_limit() {
    let (app, queues) = spawn_app_with_ai(TIMEOUT).await;
    let mut body = wav();
    body.resize(11 * 1024 * 1024, 0);
    let res = post_audio(&app, "/api/voice/stt", "audio/wav", body.clone()).await;
    let (status, error) = error_of(res).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{error}");
    assert_eq!(error["code"], "payload_too_large");
    assert_eq!(error["field"], "audio");
    assert_eq!(error["limit_bytes"], 10 * 1024 * 1024);
    assert!(
        error["message"].as_str().unwrap().contains("10MB"),
        "{error}"
    );

    // The same file as a multipart upload.
    let form = audio_form(body, "big.wav", "audio/wav");
    let res = post_form(&app, "/api/voice/stt", form).await;
    let (status, error) = error_of(res).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{error}");
    assert_eq!(error["code"], "payload_too_large");

    assert_eq!(queues.lengths().await, (0, 0), "nothing was queued");
    queues.delete().await;
}

#[tokio::test]
async fn bytes_that_are_not_audio_are_415() {
    let (app, queues) = spawn_app_with_ai(TIMEOUT).await;
    let text = "치킨 디너 주세요. this is not audio".as_bytes().to_vec();

    let res = post_audio(&app, "/api/voice/stt", "audio/wav", text.clone()).await;
    let (status, error) = error_of(res).await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{error}");
    assert_eq!(error["code"], "unsupported_media_type");
    assert_eq!(error["field"], "audio");

    // A text file in the multipart `audio` field.
    let form = audio_form(text.clone(), "order.txt", "text/plain");
    let res = post_form(&app, "/api/voice/stt", form).await;
    let (status, error) = error_of(res).await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{error}");
    assert_eq!(error["code"], "unsupported_media_type");

    // A body declared as something other than audio.
    let res = post_audio(&app, "/api/voice/stt", "text/plain", wav()).await;
    let (status, error) = error_of(res).await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{error}");
    assert_eq!(error["field"], "Content-Type");

    assert_eq!(queues.lengths().await, (0, 0), "nothing was queued");
    queues.delete().await;
}

#[tokio::test]
async fn bad_input_is_400_naming_the_field() {
    let (app, queues) = spawn_app_with_ai(TIMEOUT).await;

    let res = post_audio(&app, "/api/voice/stt?language=fr", "audio/wav", wav()).await;
    let (status, error) = error_of(res).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{error}");
    assert_eq!(error["field"], "language");

    let form = reqwest::multipart::Form::new().text("language", "en");
    let res = post_form(&app, "/api/voice/stt", form).await;
    let (status, error) = error_of(res).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{error}");
    assert_eq!(error["field"], "audio", "no audio field");

    let res = post_audio(&app, "/api/voice/stt", "audio/wav", Vec::new()).await;
    let (status, error) = error_of(res).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{error}");
    assert_eq!(error["field"], "audio", "empty body");

    for (body, field) in [
        (json!({ "transcript": "" }), "transcript"),
        (json!({ "transcript": "   " }), "transcript"),
        (json!({ "transcript": "가".repeat(501) }), "transcript"),
        (
            json!({ "transcript": "치킨 디너", "language": "fr" }),
            "language",
        ),
        (
            json!({ "transcript": "치킨 디너", "session_id": "not a session" }),
            "session_id",
        ),
    ] {
        let res = app.post_as(None, "/api/voice/analyze", &body).await;
        let (status, error) = error_of(res).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {error}");
        assert_eq!(error["code"], "invalid_input");
        assert_eq!(error["field"], field, "{body}: {error}");
    }
    let res = app
        .post_as(None, "/api/voice/analyze", &json!({ "session_id": null }))
        .await;
    let (status, error) = error_of(res).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{error}");
    assert!(
        error["message"].as_str().unwrap().contains("transcript"),
        "{error}"
    );

    assert_eq!(queues.lengths().await, (0, 0), "nothing was queued");
    queues.delete().await;
}

// ---------------------------------------------------------------------------
// No worker: 504 in time
// ---------------------------------------------------------------------------

#[tokio::test]
async fn no_worker_means_504_after_the_timeout() {
    let (app, queues) = spawn_app_with_ai(Duration::from_secs(1)).await;

    let started = Instant::now();
    let res = post_audio(&app, "/api/voice/stt?language=ko", "audio/wav", wav()).await;
    let elapsed = started.elapsed();
    let (status, error) = error_of(res).await;
    assert_eq!(status, StatusCode::GATEWAY_TIMEOUT, "{error}");
    assert_eq!(error["code"], "ai_timeout");
    assert!(
        error["message"].as_str().unwrap().contains("다시 시도"),
        "a retry message: {error}"
    );
    assert!(
        elapsed >= Duration::from_millis(950) && elapsed < Duration::from_secs(3),
        "stt answered after {elapsed:?}"
    );

    let started = Instant::now();
    let res = app
        .post_as(
            None,
            "/api/voice/analyze",
            &json!({ "transcript": "치킨 디너 2인분 주세요" }),
        )
        .await;
    let elapsed = started.elapsed();
    let (status, error) = error_of(res).await;
    assert_eq!(status, StatusCode::GATEWAY_TIMEOUT, "{error}");
    assert_eq!(error["code"], "ai_timeout");
    assert!(
        elapsed >= Duration::from_millis(950) && elapsed < Duration::from_secs(3),
        "analyze answered after {elapsed:?}"
    );

    // Jobs nobody took are withdrawn, so an absent worker pool does not pile them up.
    assert_eq!(queues.lengths().await, (0, 0));
    queues.delete().await;
}

// ---------------------------------------------------------------------------
// With a stand-in worker
// ---------------------------------------------------------------------------

#[tokio::test]
async fn stt_returns_the_transcript_of_the_queued_audio() {
    let (app, queues) = spawn_app_with_ai(TIMEOUT).await;
    let audio = wav();

    let worker = fake_worker(
        &queues.stt,
        2,
        Duration::ZERO,
        Delivery::StoreAndPublish,
        |_| transcript(" 치킨 디너 2인분 주세요 "),
    );
    let sent_at_ms = now_ms();
    let res = post_audio(
        &app,
        "/api/voice/stt?language=ko",
        "audio/webm;codecs=opus",
        audio.clone(),
    )
    .await;
    let status = res.status();
    let body: Value = res.json().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body,
        json!({ "transcript": "치킨 디너 2인분 주세요", "language": "ko", "audio_ms": 100 })
    );

    let form = reqwest::multipart::Form::new()
        .text("language", "en")
        .part("audio", audio_part(audio.clone(), "order.wav", "audio/wav"));
    let res = post_form(&app, "/api/voice/stt", form).await;
    assert_eq!(res.status(), StatusCode::OK);

    let jobs = worker.await.unwrap();
    let raw = &jobs[0];
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(raw["audio_b64"].as_str().unwrap())
        .unwrap();
    assert_eq!(decoded, audio, "the audio arrives intact");
    assert_eq!(raw["language"], "ko");
    assert_eq!(raw["mime_type"], "audio/webm;codecs=opus");
    let deadline = raw["deadline_ms"].as_i64().unwrap();
    assert!(
        (deadline - sent_at_ms - 5_000).abs() < 1_000,
        "deadline is now + timeout: {deadline} vs {sent_at_ms}"
    );
    let multipart = &jobs[1];
    assert_eq!(multipart["filename"], "order.wav");
    assert_eq!(multipart["mime_type"], "audio/wav");
    assert_eq!(multipart["language"], "en");
    queues.delete().await;
}

#[tokio::test]
async fn the_transcribe_server_function_takes_base64_audio() {
    let (app, queues) = spawn_app_with_ai(TIMEOUT).await;
    let worker = fake_worker(
        &queues.stt,
        1,
        Duration::ZERO,
        Delivery::StoreAndPublish,
        |_| transcript("프렌치 디너 하나"),
    );
    let audio_b64 = base64::engine::general_purpose::STANDARD.encode(wav());
    let call = |audio_b64: String| json!({ "audio_b64": audio_b64, "filename": "rec.wav", "mime_type": null, "language": "ko" });
    let res = app
        .post_as(None, "/api/voice_transcribe", &call(audio_b64))
        .await;
    let status = res.status();
    let body: Value = res.json().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["transcript"], "프렌치 디너 하나");
    let jobs = worker.await.unwrap();
    assert_eq!(jobs[0]["mime_type"], "audio/wav", "from the bytes");

    // Not audio: the same typed error as the REST endpoint, with its status.
    let text = base64::engine::general_purpose::STANDARD.encode("not audio at all");
    let res = app
        .post_as(None, "/api/voice_transcribe", &call(text))
        .await;
    assert_eq!(res.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let err: Value = res.json().await.unwrap();
    assert_eq!(err["error"]["code"], "unsupported_media_type", "{err}");

    // Over the limit, refused before the body is parsed.
    let big = "A".repeat(15 * 1024 * 1024);
    let res = app.post_as(None, "/api/voice_transcribe", &call(big)).await;
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let err: Value = res.json().await.unwrap();
    assert_eq!(err["error"]["code"], "payload_too_large", "{err}");
    assert_eq!(err["error"]["field"], "audio_b64", "{err}");
    assert_eq!(queues.lengths().await, (0, 0));
    queues.delete().await;
}

#[tokio::test]
async fn worker_failures_become_the_design_errors() {
    let (app, queues) = spawn_app_with_ai(TIMEOUT).await;
    let worker = fake_worker(
        &queues.stt,
        3,
        Duration::ZERO,
        Delivery::StoreAndPublish,
        |job| match job["filename"].as_str() {
            Some("silence.wav") => failed(AiErrorCode::NoSpeech),
            Some("broken.wav") => failed(AiErrorCode::UnsupportedAudio),
            _ => transcript("   "),
        },
    );
    for (name, status, code) in [
        (
            "silence.wav",
            StatusCode::UNPROCESSABLE_ENTITY,
            "speech_not_recognized",
        ),
        (
            "broken.wav",
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        ),
        (
            "blank.wav",
            StatusCode::UNPROCESSABLE_ENTITY,
            "speech_not_recognized",
        ),
    ] {
        let form = audio_form(wav(), name, "audio/wav");
        let res = post_form(&app, "/api/voice/stt", form).await;
        let (got, error) = error_of(res).await;
        assert_eq!(got, status, "{name}: {error}");
        assert_eq!(error["code"], code, "{name}");
        if code == "speech_not_recognized" {
            assert_eq!(
                error["message"],
                "음성을 인식할 수 없습니다. 다시 시도해 주세요."
            );
        }
    }
    worker.await.unwrap();
    queues.delete().await;
}

#[tokio::test]
async fn analyze_prices_the_order_and_keeps_the_session_between_utterances() {
    let (app, queues) = spawn_app_with_ai(TIMEOUT).await;
    let vip = app.session_for("vip@daebak.test").await;

    // First utterance: chicken, spicy, two, with fries. Second: "하나 더" → three.
    let worker = fake_worker(
        &queues.llm,
        2,
        Duration::ZERO,
        Delivery::StoreAndPublish,
        |job| match job["order_state"].is_null() {
            true => analysis(chicken("spicy", 2, &["fries"]), 0.92),
            false => analysis(chicken("spicy", 3, &["fries"]), 0.9),
        },
    );
    let res = app
        .post_as(
            Some(&vip),
            "/api/voice/analyze",
            &json!({ "transcript": "치킨 디너 2인분, 매운 맛으로, 감자튀김 추가해주세요", "language": "ko" }),
        )
        .await;
    let status = res.status();
    let first: Value = res.json().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{first}");
    let session_id = first["session_id"].as_str().unwrap().to_owned();
    assert_eq!(
        first["transcript"],
        "치킨 디너 2인분, 매운 맛으로, 감자튀김 추가해주세요"
    );
    assert_eq!(first["analysis"]["order_state"]["quantity"], 2);
    assert_eq!(
        first["order_draft"],
        json!({
            "lines": [{ "menu": "chicken", "style": "spicy", "quantity": 2, "customizations": [], "cake": null }],
            "side_dishes": [{ "code": "fries", "quantity": 1 }],
        })
    );
    // (28,000 + 1,000) × 2 + 4,000 = 62,000; vip 15 %: 58,000 − 8,700 + 4,000 − 600 = 52,700.
    let pricing = &first["quote"]["pricing"];
    assert_eq!(pricing["original_price"], 62_000);
    assert_eq!(pricing["final_price"], 52_700);
    assert_eq!(pricing["tier"], "vip");

    // The same draft priced by the GUI's quote gives the same answer.
    let res = app
        .post_as(
            Some(&vip),
            "/api/quote",
            &json!({ "draft": first["order_draft"] }),
        )
        .await;
    let gui: Value = res.json().await.unwrap();
    assert_eq!(gui["pricing"], first["quote"]["pricing"]);

    let res = app
        .post_as(
            Some(&vip),
            "/api/voice/analyze",
            &json!({ "transcript": "하나 더", "session_id": session_id }),
        )
        .await;
    let status = res.status();
    let second: Value = res.json().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{second}");
    assert_eq!(second["session_id"], session_id);
    assert_eq!(second["order_draft"]["lines"][0]["quantity"], 3);
    assert_eq!(second["quote"]["pricing"]["original_price"], 91_000);

    let jobs = worker.await.unwrap();
    assert!(
        jobs[0]["order_state"].is_null(),
        "a new session has no order"
    );
    assert_eq!(
        jobs[1]["order_state"],
        serde_json::to_value(chicken("spicy", 2, &["fries"])).unwrap(),
        "the session's order travels with the next utterance"
    );
    assert_eq!(jobs[0]["language"], "ko");
    assert_eq!(jobs[1]["language"], Value::Null);
    // The live menu and the customer's history go with every job.
    assert_eq!(jobs[0]["menu"]["dinners"].as_array().unwrap().len(), 5);
    assert_eq!(jobs[0]["menu"]["side_dishes"].as_array().unwrap().len(), 6);
    let history = jobs[0]["user_history"].as_array().unwrap();
    assert_eq!(history.len(), 10, "the last ten dinners");
    assert_eq!(history[0]["menu"], "chicken");
    assert!(
        history[0]["ordered_at"].as_str() > history[9]["ordered_at"].as_str(),
        "most recent first"
    );
    let events = jobs[0]["events"].as_array().unwrap();
    assert!(
        events
            .iter()
            .any(|e| e["menu"] == "valentine" && e["discount_percent"] == 10),
        "{events:?}"
    );
    queues.delete().await;
}

#[tokio::test]
async fn an_incomplete_order_has_no_price_yet() {
    let (app, queues) = spawn_app_with_ai(TIMEOUT).await;
    let worker = fake_worker(
        &queues.llm,
        2,
        Duration::ZERO,
        Delivery::StoreAndPublish,
        |_| {
            let mut state = chicken("spicy", 1, &[]);
            state.style = None;
            state.customizations = vec![Customization {
                component: "cola".into(),
                quantity: 2,
            }];
            analysis(state, 0.85)
        },
    );
    let res = app
        .post_as(
            None,
            "/api/voice/analyze",
            &json!({ "transcript": "치킨 디너 하나, 콜라 두 개" }),
        )
        .await;
    let status = res.status();
    let body: Value = res.json().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["order_draft"], Value::Null);
    assert_eq!(body["quote"], Value::Null);
    assert_eq!(body["analysis"]["state"], "collecting");
    // The app's own pages call the server function: same service, same answer.
    let res = app
        .post_as(
            None,
            "/api/voice_analyze",
            &json!({ "req": { "transcript": "콜라 두 개", "session_id": body["session_id"], "language": null } }),
        )
        .await;
    let status = res.status();
    let again: Value = res.json().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again["session_id"], body["session_id"]);
    assert_eq!(again["quote"], Value::Null);

    let jobs = worker.await.unwrap();
    assert_eq!(jobs[0]["user_history"], json!([]), "guests have no history");
    assert_eq!(
        jobs[1]["order_state"]["customizations"][0]["component"],
        "cola"
    );
    queues.delete().await;
}

#[tokio::test]
async fn an_unsure_analysis_is_422_with_the_question() {
    let (app, queues) = spawn_app_with_ai(TIMEOUT).await;
    let worker = fake_worker(
        &queues.llm,
        2,
        Duration::ZERO,
        Delivery::StoreAndPublish,
        |job| match job["transcript"].as_str() {
            Some("음…") => analysis(OrderState::default(), 0.3),
            _ => analysis(chicken("original", 1, &[]), 0.9),
        },
    );
    let res = app
        .post_as(None, "/api/voice/analyze", &json!({ "transcript": "음…" }))
        .await;
    let (status, error) = error_of(res).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
    assert_eq!(error["code"], "order_not_understood");
    assert_eq!(
        error["message"],
        "주문 내용을 이해할 수 없습니다. 다시 말씀해 주세요."
    );
    assert_eq!(error["question"], "어떤 디너를 원하세요?");
    let session_id = error["session_id"].as_str().unwrap().to_owned();

    // The customer answers in the same session.
    let res = app
        .post_as(
            None,
            "/api/voice/analyze",
            &json!({ "transcript": "치킨 디너 하나요", "session_id": session_id }),
        )
        .await;
    let status = res.status();
    let body: Value = res.json().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["session_id"], session_id);
    assert_eq!(body["quote"]["pricing"]["final_price"], 28_000);
    worker.await.unwrap();
    queues.delete().await;
}

#[tokio::test]
async fn an_answer_that_does_not_fit_the_menu_is_never_priced() {
    let (app, queues) = spawn_app_with_ai(TIMEOUT).await;
    let worker = fake_worker(
        &queues.llm,
        2,
        Duration::ZERO,
        Delivery::StoreAndPublish,
        |job| match job["transcript"].as_str() {
            Some("피자 주세요") => {
                let mut state = chicken("original", 1, &[]);
                state.menu = Some("pizza".into());
                analysis(state, 0.95)
            }
            _ => analysis(chicken("grand", 1, &[]), 0.95),
        },
    );
    for transcript in ["피자 주세요", "그랜드 치킨"] {
        let res = app
            .post_as(
                None,
                "/api/voice/analyze",
                &json!({ "transcript": transcript }),
            )
            .await;
        let (status, error) = error_of(res).await;
        assert_eq!(
            status,
            StatusCode::INTERNAL_SERVER_ERROR,
            "{transcript}: {error}"
        );
        assert_eq!(error["code"], "internal");
    }
    worker.await.unwrap();
    queues.delete().await;
}

#[tokio::test]
async fn a_voice_session_belongs_to_the_customer_who_started_it() {
    let (app, queues) = spawn_app_with_ai(TIMEOUT).await;
    let session_id = uuid::Uuid::new_v4().to_string();
    let mut conn = redis_connection().await;
    let _: () = redis::cmd("SET")
        .arg(format!("voice:session:{session_id}"))
        .arg(json!({ "customer_id": 987_654_321, "order_state": null }).to_string())
        .arg("EX")
        .arg(60)
        .query_async(&mut conn)
        .await
        .unwrap();
    let someone = app.session_for("regular@daebak.test").await;
    for session in [None, Some(&someone)] {
        let res = app
            .post_as(
                session,
                "/api/voice/analyze",
                &json!({ "transcript": "하나 더", "session_id": session_id }),
            )
            .await;
        let (status, error) = error_of(res).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{error}");
        assert_eq!(error["code"], "not_found");
    }
    assert_eq!(queues.lengths().await, (0, 0), "nothing was queued");
    let _: i64 = redis::cmd("DEL")
        .arg(format!("voice:session:{session_id}"))
        .query_async(&mut conn)
        .await
        .unwrap();
    queues.delete().await;
}

// ---------------------------------------------------------------------------
// AiClient itself
// ---------------------------------------------------------------------------

fn client(queues: &AiQueues, timeout: Duration) -> AiClient {
    let redis = RedisHandle::open(&redis_url(), Duration::from_secs(2)).unwrap();
    AiClient::new(
        redis,
        AiConfig {
            timeout,
            stt_queue: queues.stt.clone(),
            llm_queue: queues.llm.clone(),
        },
    )
}

fn llm_request(transcript: &str) -> LlmJob {
    LlmJob {
        language: Some("ko".into()),
        ..LlmJob::local(transcript, Default::default())
    }
}

#[tokio::test]
async fn ai_client_receives_a_result_that_was_ready_before_it_started_waiting() {
    let queues = AiQueues::private();
    let ai = client(&queues, TIMEOUT);
    for delivery in [
        Delivery::StoreAndPublish,
        Delivery::StoreOnly,
        Delivery::PublishOnly,
    ] {
        let worker = fake_worker(&queues.llm, 1, Duration::ZERO, delivery, |_| {
            analysis(chicken("original", 1, &[]), 0.9)
        });
        let pending = ai.send_llm_request(llm_request("치킨")).await.unwrap();
        let request_id = pending.request_id().to_owned();
        // The worker answers before anyone waits.
        worker.await.unwrap();
        let started = Instant::now();
        let result = ai.wait_for_response(pending, TIMEOUT).await.unwrap();
        assert_eq!(result.request_id, request_id, "{delivery:?}");
        assert!(matches!(result.outcome, Outcome::Analysis(_)));
        assert!(
            started.elapsed() < Duration::from_millis(500),
            "{delivery:?} took {:?}",
            started.elapsed()
        );
    }
    queues.delete().await;
}

#[tokio::test]
async fn ai_client_finds_a_stored_result_whose_message_was_lost() {
    let queues = AiQueues::private();
    let ai = client(&queues, TIMEOUT);
    let worker = fake_worker(
        &queues.stt,
        1,
        Duration::from_millis(600),
        Delivery::StoreOnly,
        |_| transcript("치킨 디너"),
    );
    let pending = ai
        .send_stt_request(&wav(), None, Some("audio/wav"), Some("ko"))
        .await
        .unwrap();
    let started = Instant::now();
    let result = ai.wait_for_response(pending, TIMEOUT).await.unwrap();
    let elapsed = started.elapsed();
    assert!(matches!(result.outcome, Outcome::Transcript(ref t) if t.text == "치킨 디너"));
    assert!(
        elapsed >= Duration::from_millis(550) && elapsed < Duration::from_millis(1_500),
        "found by polling the key within a poll interval: {elapsed:?}"
    );
    worker.await.unwrap();
    // The result is removed once read.
    let mut conn = redis_connection().await;
    let left: i64 = redis::cmd("EXISTS")
        .arg(result_key(&result.request_id))
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(left, 0);
    queues.delete().await;
}

#[tokio::test]
async fn ai_client_does_not_wait_for_an_answer_past_the_deadline() {
    let queues = AiQueues::private();
    let timeout = Duration::from_millis(700);
    let ai = client(&queues, timeout);
    // Takes the job at once but answers only after the deadline.
    let worker = fake_worker(
        &queues.llm,
        1,
        Duration::from_millis(1_500),
        Delivery::StoreAndPublish,
        |_| analysis(chicken("original", 1, &[]), 0.9),
    );
    let sent_at_ms = now_ms();
    let pending = ai.send_llm_request(llm_request("늦은 답")).await.unwrap();
    let started = Instant::now();
    let err = ai.wait_for_response(pending, timeout).await.unwrap_err();
    let elapsed = started.elapsed();
    assert!(matches!(err, AiClientError::Timeout { .. }), "{err}");
    assert!(
        elapsed >= Duration::from_millis(650) && elapsed < Duration::from_millis(1_200),
        "gave up at the timeout: {elapsed:?}"
    );
    let jobs = worker.await.unwrap();
    let deadline = jobs[0]["deadline_ms"].as_i64().unwrap();
    assert!(
        (deadline - sent_at_ms - 700).abs() < 300,
        "the job's deadline is now + timeout"
    );
    queues.delete().await;
}

#[tokio::test]
async fn ai_client_withdraws_a_job_nobody_took_and_reports_redis_down() {
    let queues = AiQueues::private();
    let ai = client(&queues, Duration::from_millis(300));
    let pending = ai
        .send_llm_request(llm_request("아무도 없나요"))
        .await
        .unwrap();
    assert_eq!(queues.lengths().await, (0, 1));
    let err = ai
        .wait_for_response(pending, Duration::from_millis(300))
        .await
        .unwrap_err();
    assert!(matches!(err, AiClientError::Timeout { .. }), "{err}");
    assert_eq!(queues.lengths().await, (0, 0), "withdrawn");
    queues.delete().await;

    // Nothing listens on port 1.
    let redis = RedisHandle::open("redis://127.0.0.1:1", Duration::from_millis(500)).unwrap();
    let down = AiClient::new(redis, AiConfig::default());
    let err = down
        .send_llm_request(llm_request("치킨"))
        .await
        .unwrap_err();
    assert!(matches!(err, AiClientError::Unavailable(_)), "{err}");
    let app_err: app::error::AppError = err.into();
    assert_eq!(app_err.status().as_u16(), 503);
}

#[tokio::test]
async fn the_pages_order_replaces_the_sessions_and_must_fit_the_menu() {
    let (app, queues) = spawn_app_with_ai(TIMEOUT).await;
    let worker = fake_worker(
        &queues.llm,
        2,
        Duration::ZERO,
        Delivery::StoreAndPublish,
        |job| match job["order_state"].is_null() {
            true => analysis(chicken("spicy", 2, &[]), 0.9),
            // "make it three" on top of whatever the job says the order is.
            false => {
                let mut state: OrderState =
                    serde_json::from_value(job["order_state"].clone()).unwrap();
                state.quantity = Some(3);
                analysis(state, 0.9)
            }
        },
    );
    let res = app
        .post_as(
            None,
            "/api/voice/analyze",
            &json!({ "transcript": "치킨 디너 두 개 매운 맛으로" }),
        )
        .await;
    let first: Value = res.json().await.unwrap();
    let session_id = first["session_id"].as_str().unwrap().to_owned();

    // The customer picked 간장 마늘 and fries by hand, then said "세 개로 바꿔줘".
    let edited = chicken("soy_garlic", 2, &["fries"]);
    let res = app
        .post_as(
            None,
            "/api/voice/analyze",
            &json!({ "transcript": "세 개로 바꿔줘", "session_id": session_id, "order_state": edited }),
        )
        .await;
    let status = res.status();
    let second: Value = res.json().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{second}");
    assert_eq!(second["session_id"], session_id);
    let line = &second["order_draft"]["lines"][0];
    assert_eq!(
        (&line["style"], &line["quantity"]),
        (&json!("soy_garlic"), &json!(3))
    );
    assert_eq!(second["order_draft"]["side_dishes"][0]["code"], "fries");
    let jobs = worker.await.unwrap();
    assert_eq!(
        jobs[1]["order_state"],
        serde_json::to_value(&edited).unwrap()
    );

    // A page order the menu does not have never reaches the model.
    let mut pizza = chicken("spicy", 1, &[]);
    pizza.menu = Some("pizza".into());
    let res = app
        .post_as(
            None,
            "/api/voice/analyze",
            &json!({ "transcript": "하나 더", "session_id": session_id, "order_state": pizza }),
        )
        .await;
    let (status, error) = error_of(res).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{error}");
    assert_eq!(error["field"], "order_state");
    let queued: i64 = redis::cmd("LLEN")
        .arg(&queues.llm)
        .query_async(&mut redis_connection().await)
        .await
        .unwrap();
    assert_eq!(queued, 0);
    queues.delete().await;
}

#[tokio::test]
async fn voice_says_a_dinner_no_store_can_make_is_sold_out() {
    let (app, queues) = spawn_app_with_ai(TIMEOUT).await;
    let vip = app.session_for("vip@daebak.test").await;
    for store in ["gangnam", "hongdae"] {
        app.set_ingredient_stock(store, "fried_chicken", 0).await;
    }
    let worker = fake_worker(
        &queues.llm,
        1,
        Duration::ZERO,
        Delivery::StoreAndPublish,
        |_| analysis(chicken("spicy", 1, &[]), 0.93),
    );
    let res = app
        .post_as(
            Some(&vip),
            "/api/voice/analyze",
            &json!({ "transcript": "치킨 디너 매운 맛으로 주세요", "language": "ko" }),
        )
        .await;
    let (status, err) = error_of(res).await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::CONFLICT, Some("sold_out"))
    );
    assert_eq!(
        err["message"],
        "죄송합니다. 치킨 디너는 지금 품절입니다. 다른 디너를 골라 주세요."
    );
    worker.await.unwrap();
}
