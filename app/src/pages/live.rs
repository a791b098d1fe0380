//! Live updates from a server-sent-event stream (`/api/staff/events`, `/api/orders/{id}/events`).
//! The stream says `ready` on every (re)connect and `order` on every change; the page refetches
//! what it shows each time, so a dropped connection (the browser reconnects by itself) loses
//! nothing. The server renders the page once; only the browser listens.

use crate::domain::staff::OrderEvent;

/// Calls `changed` with the change (or `None` on connect and after a gap) for as long as the
/// calling component lives, from the first time `ready` is true (the page could read what it
/// shows: a stream the server would refuse is never opened).
pub fn on_order_events(
    url: String,
    ready: impl Fn() -> bool + 'static,
    changed: impl Fn(Option<OrderEvent>) + Clone + 'static,
) {
    #[cfg(feature = "hydrate")]
    browser::listen(url, ready, changed);
    #[cfg(not(feature = "hydrate"))]
    let _ = (url, ready, changed);
}

#[cfg(feature = "hydrate")]
mod browser {
    use leptos::prelude::*;
    use wasm_bindgen::prelude::*;
    use wasm_bindgen::JsCast;
    use web_sys::{EventSource, MessageEvent};

    use crate::domain::staff::OrderEvent;

    struct Listening {
        source: EventSource,
        _handlers: Vec<Closure<dyn FnMut(MessageEvent)>>,
    }

    pub fn listen(
        url: String,
        ready: impl Fn() -> bool + 'static,
        changed: impl Fn(Option<OrderEvent>) + Clone + 'static,
    ) {
        let held = StoredValue::new_local(None::<Listening>);
        Effect::new(move |_| {
            if !ready() || held.with_value(Option::is_some) {
                return;
            }
            let Ok(source) = EventSource::new(&url) else {
                leptos::logging::warn!("cannot open {url}");
                return;
            };
            let handlers = ["ready", "order", "resync"]
                .into_iter()
                .map(|name| {
                    let changed = changed.clone();
                    let handler =
                        Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
                            let change = e
                                .data()
                                .as_string()
                                .and_then(|data| serde_json::from_str::<OrderEvent>(&data).ok());
                            changed(change);
                        });
                    let _ = source
                        .add_event_listener_with_callback(name, handler.as_ref().unchecked_ref());
                    handler
                })
                .collect();
            held.set_value(Some(Listening {
                source,
                _handlers: handlers,
            }));
        });
        on_cleanup(move || {
            if let Some(Some(listening)) = held.try_update_value(Option::take) {
                listening.source.close();
            }
        });
    }
}
