//! Keeps the server's copy of the cart up to date with the builder, one save at a time so that
//! the last change is always the one stored.

use leptos::prelude::*;

use crate::domain::order::OrderDraft;

/// Saves the draft whenever it changes (and is a draft). While a save is on its way, later
/// changes wait and only the newest is sent after it.
pub fn keep_saved(draft: Memo<Result<OrderDraft, String>>) {
    let saved = StoredValue::new(draft.get_untracked().ok());
    let waiting: StoredValue<Option<OrderDraft>> = StoredValue::new(None);
    let busy = StoredValue::new(false);
    Effect::new(move |_| {
        let Ok(now) = draft.get() else {
            return;
        };
        if saved.with_value(|s| s.as_ref() == Some(&now)) {
            return;
        }
        saved.set_value(Some(now.clone()));
        waiting.set_value(Some(now));
        if !busy.get_value() {
            busy.set_value(true);
            leptos::task::spawn_local(send_waiting(waiting, busy));
        }
    });
}

async fn send_waiting(waiting: StoredValue<Option<OrderDraft>>, busy: StoredValue<bool>) {
    while let Some(draft) = waiting.try_update_value(Option::take).flatten() {
        if let Err(err) = crate::api::cart::save_cart(draft).await {
            // The page still holds the cart; only a reload would miss this change.
            leptos::logging::warn!("cart not saved: {err}");
        }
    }
    let _ = busy.try_set_value(false);
}
