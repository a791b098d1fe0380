//! Live order changes. Every committed change of an order's status is a PostgreSQL `NOTIFY` on
//! `order_events` (a trigger, see the staff migration), so every server replica hears every
//! change, whichever replica made it. Each process listens once and fans the changes out to
//! its open server-sent-event streams.

use std::convert::Infallible;
use std::time::Duration;

use axum::response::sse::{Event, KeepAlive, Sse};
use futures::stream::{self, Stream};
use sqlx::postgres::PgListener;
use sqlx::PgPool;
use tokio::sync::broadcast;

use app::domain::staff::OrderEvent;

pub const CHANNEL: &str = "order_events";
/// Changes a slow stream may fall behind by before it is told to refetch.
const BUFFER: usize = 256;

/// What a stream hears: a change, or "you may have missed changes: refetch".
#[derive(Debug, Clone)]
pub enum Signal {
    Changed(OrderEvent),
    Resync,
    /// The server is stopping: streams end, so a graceful shutdown does not wait on them.
    Shutdown,
}

/// This process's fan-out of order changes.
#[derive(Debug, Clone)]
pub struct OrderEvents {
    tx: broadcast::Sender<Signal>,
}

impl Default for OrderEvents {
    fn default() -> Self {
        OrderEvents {
            tx: broadcast::channel(BUFFER).0,
        }
    }
}

impl OrderEvents {
    /// Listens on `order_events` until the task is aborted, reconnecting when the connection
    /// drops (the streams are told to refetch then, as NOTIFYs sent meanwhile are lost).
    pub fn listen(&self, pool: PgPool) -> tokio::task::JoinHandle<()> {
        let tx = self.tx.clone();
        tokio::spawn(async move {
            loop {
                if let Err(err) = relay(&pool, &tx).await {
                    tracing::warn!(error = %err, "order event listener lost; reconnecting");
                }
                let _ = tx.send(Signal::Resync);
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        })
    }

    /// Ends every open stream (at shutdown).
    pub fn close_streams(&self) {
        let _ = self.tx.send(Signal::Shutdown);
    }

    /// A stream of the changes `wanted` selects, as server-sent events: `ready` first (the
    /// client fetches what it shows), then `order` for each change, and `resync` when some
    /// may have been missed. A client that reconnects gets `ready` again, so nothing is lost.
    pub fn sse(
        &self,
        wanted: impl Fn(&OrderEvent) -> bool + Send + 'static,
    ) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
        let rx = self.tx.subscribe();
        let ready = stream::once(async { Ok(Event::default().event("ready").data("{}")) });
        let changes = stream::unfold((rx, wanted), |(mut rx, wanted)| async move {
            loop {
                let event = match rx.recv().await {
                    Ok(Signal::Changed(change)) if !wanted(&change) => continue,
                    Ok(Signal::Changed(change)) => Event::default()
                        .event("order")
                        .json_data(&change)
                        .unwrap_or_else(|_| Event::default().event("resync").data("{}")),
                    Ok(Signal::Resync) | Err(broadcast::error::RecvError::Lagged(_)) => {
                        Event::default().event("resync").data("{}")
                    }
                    Ok(Signal::Shutdown) | Err(broadcast::error::RecvError::Closed) => return None,
                };
                return Some((Ok(event), (rx, wanted)));
            }
        });
        Sse::new(stream::StreamExt::chain(ready, changes)).keep_alive(KeepAlive::default())
    }
}

async fn relay(pool: &PgPool, tx: &broadcast::Sender<Signal>) -> Result<(), sqlx::Error> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener.listen(CHANNEL).await?;
    // Listening again after a drop: whatever changed in between is refetched.
    let _ = tx.send(Signal::Resync);
    // `try_recv` answers `None` when the connection drops; return so the caller says so.
    while let Some(notification) = listener.try_recv().await? {
        match serde_json::from_str::<OrderEvent>(notification.payload()) {
            Ok(change) => {
                let _ = tx.send(Signal::Changed(change));
            }
            Err(err) => tracing::error!(error = %err, "unreadable order event"),
        }
    }
    Ok(())
}
