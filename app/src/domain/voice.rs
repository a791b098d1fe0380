//! Voice ordering as the browser and the server both see it (DESIGN §7): the request and
//! response types of `/api/voice/*`, the checks made before anything is queued, and the server
//! functions the app's own pages call. The work itself is `services::VoiceService` (ssr only).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use ai_protocol::{
    ConversationState, Customization, Intent, OrderLine, OrderState, VoiceAnalysis,
    CONFIDENCE_THRESHOLD,
};

use crate::domain::order::{
    ComponentQuantity, CustomizationDraft, LineDraft, OrderDraft, Quantity, SideDishDraft,
};
use crate::domain::order_view::Quote;
use crate::domain::text::{text_schema, TextError, TextRule};

/// Largest audio upload (DESIGN §7: ≤ 10 MB).
pub const MAX_AUDIO_BYTES: usize = 10 * 1024 * 1024;
/// Longest transcript `analyze` accepts, in characters.
pub const MAX_TRANSCRIPT_CHARS: usize = 500;
/// The languages the recogniser and the order model are asked for.
pub const LANGUAGES: [&str; 2] = ["ko", "en"];

/// What `POST /api/voice/stt` answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SttResponse {
    pub transcript: String,
    /// `ko` or `en`: the language given, or the one the recogniser detected.
    #[cfg_attr(feature = "ssr", schema(examples("ko")))]
    pub language: String,
    /// Length of the decoded audio.
    pub audio_ms: u64,
}

/// What `POST /api/voice/analyze` takes: one utterance of a voice session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct VoiceAnalyzeRequest {
    #[cfg_attr(feature = "ssr", schema(schema_with = transcript_schema))]
    pub transcript: String,
    /// The session of earlier utterances ("하나 더", "디럭스로 바꿔줘" edit its order); `None`
    /// starts a new one. Use the `session_id` of the previous answer.
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(pattern = r"^[A-Za-z0-9-]{0,64}$"))]
    pub session_id: Option<String>,
    /// `ko` or `en`; `None` lets the model follow the transcript.
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(pattern = r"^(ko|en)$"))]
    pub language: Option<String>,
    /// The order as the customer left it on the page, hand edits included. When given it
    /// replaces the session's order before this utterance is understood, so "make it three"
    /// after picking 디럭스 by hand keeps 디럭스. Checked against the live menu like the AI's
    /// answers; it carries no price.
    #[serde(default)]
    pub order_state: Option<OrderState>,
}

/// The AI's proposal: what it understood and, once the order is complete, the same draft and
/// price the GUI builder shows (priced on the server, never by the client).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct VoiceAnalysisResponse {
    pub session_id: String,
    pub transcript: String,
    pub analysis: VoiceAnalysis,
    /// The order so far as the builder's draft, when it names a dinner, a style and a quantity.
    pub order_draft: Option<OrderDraft>,
    /// The draft priced for this customer (tier, events), when there is a draft.
    pub quote: Option<Quote>,
}

/// An audio container the worker decodes, recognised from the bytes themselves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AudioFormat {
    Wav,
    Ogg,
    WebM,
    Mp4,
    Mp3,
}

impl AudioFormat {
    /// Looks at the first bytes only: RIFF/WAVE, OggS, EBML (WebM), `ftyp` (MP4/M4A), ID3 or an
    /// MPEG audio frame sync. Anything else is not audio we accept.
    pub fn sniff(bytes: &[u8]) -> Option<AudioFormat> {
        match bytes {
            [b'R', b'I', b'F', b'F', _, _, _, _, b'W', b'A', b'V', b'E', ..] => {
                Some(AudioFormat::Wav)
            }
            [b'O', b'g', b'g', b'S', ..] => Some(AudioFormat::Ogg),
            [0x1A, 0x45, 0xDF, 0xA3, ..] => Some(AudioFormat::WebM),
            [_, _, _, _, b'f', b't', b'y', b'p', ..] => Some(AudioFormat::Mp4),
            [b'I', b'D', b'3', ..] => Some(AudioFormat::Mp3),
            [0xFF, second, ..] if second & 0xE0 == 0xE0 => Some(AudioFormat::Mp3),
            _ => None,
        }
    }

    pub fn mime_type(self) -> &'static str {
        match self {
            AudioFormat::Wav => "audio/wav",
            AudioFormat::Ogg => "audio/ogg",
            AudioFormat::WebM => "audio/webm",
            AudioFormat::Mp4 => "audio/mp4",
            AudioFormat::Mp3 => "audio/mpeg",
        }
    }
}

/// `ko`, `en`, or nothing (empty counts as nothing); anything else names the field.
pub fn parse_language(raw: Option<&str>) -> Result<Option<String>, TextError> {
    match raw.map(str::trim).filter(|l| !l.is_empty()) {
        None => Ok(None),
        Some(lang) => {
            let lang = lang.to_ascii_lowercase();
            if LANGUAGES.contains(&lang.as_str()) {
                Ok(Some(lang))
            } else {
                Err(TextError::Invalid {
                    field: "language",
                    message: "ko 또는 en이어야 합니다",
                })
            }
        }
    }
}

/// An analyze request whose fields passed validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidAnalyzeRequest {
    pub transcript: String,
    pub session_id: Option<String>,
    pub language: Option<String>,
    /// Not yet checked against the menu: that needs the live menu (`VoiceService::analyze`).
    pub order_state: Option<OrderState>,
}

const TRANSCRIPT: TextRule = TextRule::line("transcript", MAX_TRANSCRIPT_CHARS).multiline();

text_schema!(
    transcript_schema,
    TRANSCRIPT,
    "발렌타인 디너 심플로 두 개 주세요"
);

impl VoiceAnalyzeRequest {
    pub fn validate(&self) -> Result<ValidAnalyzeRequest, TextError> {
        let transcript = TRANSCRIPT.check(&self.transcript)?;
        let session_id = self
            .session_id
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty());
        if let Some(id) = session_id {
            // Sessions are ids the server made (UUIDs); anything else never reaches Redis.
            let well_formed =
                id.len() <= 64 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
            if !well_formed {
                return Err(TextError::Invalid {
                    field: "session_id",
                    message: "올바른 세션 ID가 아닙니다",
                });
            }
        }
        Ok(ValidAnalyzeRequest {
            transcript,
            session_id: session_id.map(str::to_owned),
            language: parse_language(self.language.as_deref())?,
            order_state: self.order_state.clone(),
        })
    }
}

/// Why a voice order cannot become a builder draft.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DraftError {
    #[error("quantity {0} is not between 1 and 10")]
    Quantity(u32),
    #[error("{component} quantity {quantity} is not between 0 and 10")]
    ComponentQuantity { component: String, quantity: u32 },
    #[error("{count} × side dish {code} is more than 10")]
    SideDishCount { code: String, count: usize },
}

/// The voice session's order as the GUI builder's draft: `None` until every line has a dinner,
/// a style and a quantity. Side dishes listed twice become quantity 2; a component customised
/// twice keeps its last quantity.
pub fn order_draft(state: &OrderState) -> Result<Option<OrderDraft>, DraftError> {
    let lines = state.lines();
    if lines.is_empty() || state.style.is_none() || lines.iter().any(|l| l.style.is_none()) {
        return Ok(None);
    }
    let lines = lines
        .iter()
        .map(|l| line_draft(l, l.style.clone().unwrap_or_default()))
        .collect::<Result<Vec<_>, DraftError>>()?;
    Ok(Some(OrderDraft {
        lines,
        side_dishes: side_dish_drafts(&state.side_dishes)?,
    }))
}

/// One voice line as a builder line of `style` (the line's own, or one the page picks).
pub fn line_draft(line: &OrderLine, style: String) -> Result<LineDraft, DraftError> {
    let quantity = Quantity::try_from(i64::from(line.quantity))
        .map_err(|_| DraftError::Quantity(line.quantity))?;
    let mut customizations: Vec<CustomizationDraft> = Vec::new();
    for c in &line.customizations {
        let q = ComponentQuantity::try_from(i64::from(c.quantity)).map_err(|_| {
            DraftError::ComponentQuantity {
                component: c.component.clone(),
                quantity: c.quantity,
            }
        })?;
        match customizations
            .iter_mut()
            .find(|d| d.component == c.component)
        {
            Some(existing) => existing.quantity = q,
            None => customizations.push(CustomizationDraft {
                component: c.component.clone(),
                quantity: q,
            }),
        }
    }
    Ok(LineDraft {
        menu: line.menu.clone(),
        style,
        quantity,
        customizations,
        cake: None,
    })
}

/// Side dish codes, a code listed twice meaning two, as drafts in first-mention order (so the
/// draft reads like the utterance).
pub fn side_dish_drafts(codes: &[String]) -> Result<Vec<SideDishDraft>, DraftError> {
    let mut counts: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for (i, code) in codes.iter().enumerate() {
        counts.entry(code.as_str()).or_insert((i, 0)).1 += 1;
    }
    let mut ordered: Vec<(&str, usize, usize)> =
        counts.into_iter().map(|(c, (i, n))| (c, i, n)).collect();
    ordered.sort_by_key(|(_, first, _)| *first);
    ordered
        .into_iter()
        .map(|(code, _, count)| {
            let quantity = i64::try_from(count)
                .ok()
                .and_then(|n| Quantity::try_from(n).ok())
                .ok_or_else(|| DraftError::SideDishCount {
                    code: code.to_owned(),
                    count,
                })?;
            Ok(SideDishDraft {
                code: code.to_owned(),
                quantity,
            })
        })
        .collect()
}

/// The inverse of [`order_draft`]: the builder's cart as a voice session's order, so the next
/// utterance edits what the customer sees (hand edits included). `unsaid_style`: the line whose
/// style the builder only shows because nobody picked one; its style stays unsaid and the AI
/// keeps asking for it. A cake stays on the page's side: the AI does not take cake orders.
pub fn order_state_from_draft(
    draft: &OrderDraft,
    unsaid_style: Option<usize>,
) -> Option<OrderState> {
    let mut lines = draft.lines.iter().enumerate().map(|(i, line)| OrderLine {
        menu: line.menu.clone(),
        style: (unsaid_style != Some(i)).then(|| line.style.clone()),
        quantity: u32::from(line.quantity.get()),
        customizations: line
            .customizations
            .iter()
            .map(|c| Customization {
                component: c.component.clone(),
                quantity: u32::from(c.quantity.get()),
            })
            .collect(),
    });
    let mut state = OrderState {
        side_dishes: draft
            .side_dishes
            .iter()
            .flat_map(|s| std::iter::repeat_n(s.code.clone(), usize::from(s.quantity.get())))
            .collect(),
        ..OrderState::default()
    };
    state.set_first_line(lines.next()?);
    state.more_lines = lines.collect();
    Some(state)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_the_accepted_containers_only() {
        let mut wav = b"RIFF\x24\x00\x00\x00WAVEfmt ".to_vec();
        wav.extend([0u8; 16]);
        assert_eq!(AudioFormat::sniff(&wav), Some(AudioFormat::Wav));
        assert_eq!(AudioFormat::sniff(b"OggS\x00\x02"), Some(AudioFormat::Ogg));
        assert_eq!(
            AudioFormat::sniff(&[0x1A, 0x45, 0xDF, 0xA3, 0x9F]),
            Some(AudioFormat::WebM)
        );
        assert_eq!(
            AudioFormat::sniff(b"\x00\x00\x00\x20ftypM4A "),
            Some(AudioFormat::Mp4)
        );
        assert_eq!(AudioFormat::sniff(b"ID3\x04\x00"), Some(AudioFormat::Mp3));
        assert_eq!(
            AudioFormat::sniff(&[0xFF, 0xFB, 0x90]),
            Some(AudioFormat::Mp3)
        );

        assert_eq!(AudioFormat::sniff(b""), None);
        assert_eq!(AudioFormat::sniff(b"hello, this is text"), None);
        assert_eq!(AudioFormat::sniff(b"RIFF\x24\x00\x00\x00AVI LIST"), None);
        assert_eq!(AudioFormat::sniff(b"\x89PNG\r\n\x1a\n"), None);
        assert_eq!(AudioFormat::sniff(&[0xFF, 0x00]), None);
        assert_eq!(AudioFormat::sniff(b"Ogg"), None);
    }

    #[test]
    fn languages_are_ko_or_en() {
        assert_eq!(parse_language(None).unwrap(), None);
        assert_eq!(parse_language(Some("")).unwrap(), None);
        assert_eq!(parse_language(Some("KO")).unwrap().as_deref(), Some("ko"));
        assert_eq!(parse_language(Some("en")).unwrap().as_deref(), Some("en"));
        assert_eq!(parse_language(Some("fr")).unwrap_err().field(), "language");
    }

    fn req(transcript: &str) -> VoiceAnalyzeRequest {
        VoiceAnalyzeRequest {
            transcript: transcript.into(),
            session_id: None,
            language: None,
            order_state: None,
        }
    }

    #[test]
    fn analyze_requests_name_the_bad_field() {
        assert_eq!(
            req("  치킨 디너  ").validate().unwrap().transcript,
            "치킨 디너"
        );
        assert_eq!(req(" ").validate().unwrap_err().field(), "transcript");
        let long = "가".repeat(MAX_TRANSCRIPT_CHARS + 1);
        assert_eq!(req(&long).validate().unwrap_err().field(), "transcript");
        assert!(req(&"가".repeat(MAX_TRANSCRIPT_CHARS)).validate().is_ok());
        let mut r = req("치킨");
        r.session_id = Some("../../etc".into());
        assert_eq!(r.validate().unwrap_err().field(), "session_id");
        r.session_id = Some(String::new());
        assert_eq!(r.validate().unwrap().session_id, None);
        r.language = Some("jp".into());
        assert_eq!(r.validate().unwrap_err().field(), "language");
    }

    fn state() -> OrderState {
        OrderState {
            menu: Some("chicken".into()),
            style: Some("spicy".into()),
            quantity: Some(2),
            customizations: vec![
                Customization {
                    component: "cola".into(),
                    quantity: 3,
                },
                Customization {
                    component: "cola".into(),
                    quantity: 2,
                },
            ],
            side_dishes: vec!["fries".into(), "cola".into(), "fries".into()],
            more_lines: vec![],
        }
    }

    #[test]
    fn a_complete_state_becomes_the_builders_draft() {
        let draft = order_draft(&state()).unwrap().unwrap();
        assert_eq!(draft.lines.len(), 1);
        let line = &draft.lines[0];
        assert_eq!(
            (line.menu.as_str(), line.style.as_str()),
            ("chicken", "spicy")
        );
        assert_eq!(line.quantity.get(), 2);
        assert_eq!(line.customizations.len(), 1);
        assert_eq!(line.customizations[0].quantity.get(), 2);
        let sides: Vec<(&str, u8)> = draft
            .side_dishes
            .iter()
            .map(|s| (s.code.as_str(), s.quantity.get()))
            .collect();
        assert_eq!(sides, vec![("fries", 2), ("cola", 1)]);
    }

    #[test]
    fn the_builders_draft_becomes_the_sessions_order_again() {
        let mut original = state();
        original.customizations.remove(0);
        let draft = order_draft(&original).unwrap().unwrap();
        let back = order_state_from_draft(&draft, None).unwrap();
        assert_eq!(back.menu, original.menu);
        assert_eq!(back.style, original.style);
        assert_eq!(back.quantity, original.quantity);
        assert_eq!(back.customizations, original.customizations);
        let mut sides = back.side_dishes.clone();
        sides.sort();
        assert_eq!(sides, vec!["cola", "fries", "fries"]);
        assert_eq!(order_draft(&back).unwrap(), Some(draft.clone()));

        let unpicked = order_state_from_draft(&draft, Some(0)).unwrap();
        assert_eq!(unpicked.style, None, "a style nobody picked is not said");
        assert_eq!(order_state_from_draft(&OrderDraft::default(), None), None);
    }

    #[test]
    fn every_line_goes_to_the_draft_and_back() {
        let mut original = state();
        original.more_lines = vec![OrderLine {
            menu: "valentine".into(),
            style: Some("deluxe".into()),
            quantity: 1,
            customizations: vec![Customization {
                component: "wine".into(),
                quantity: 0,
            }],
        }];
        let draft = order_draft(&original).unwrap().unwrap();
        let menus: Vec<&str> = draft.lines.iter().map(|l| l.menu.as_str()).collect();
        assert_eq!(menus, ["chicken", "valentine"]);
        assert_eq!(draft.lines[1].customizations[0].quantity.get(), 0);
        let back = order_state_from_draft(&draft, Some(1)).unwrap();
        assert_eq!(back.menu.as_deref(), Some("chicken"));
        assert_eq!(back.more_lines.len(), 1);
        assert_eq!(
            back.more_lines[0].style, None,
            "line 1's style was not picked"
        );
        assert_eq!(
            order_draft(&back),
            Ok(None),
            "a line without a style is not a draft"
        );
    }

    #[test]
    fn an_incomplete_or_impossible_state_has_no_draft() {
        let mut s = state();
        s.style = None;
        assert_eq!(order_draft(&s), Ok(None));
        let mut s = state();
        s.quantity = Some(11);
        assert_eq!(order_draft(&s), Err(DraftError::Quantity(11)));
        let mut s = state();
        s.side_dishes = vec!["fries".into(); 11];
        assert!(matches!(
            order_draft(&s),
            Err(DraftError::SideDishCount { count: 11, .. })
        ));
    }
}
