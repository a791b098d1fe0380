//! `/staff`: the kitchen board. Columns by status, a card per paid order, one click to move an
//! order forward, a cancel that asks why. It follows the store's event stream: a new order
//! appears without a reload, highlighted, with a chime the staff can mute.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::pages::lang::use_lang;

use crate::api::staff::{staff_orders, MoveOrder};
use crate::domain::i18n::Lang;
use crate::domain::order_view::OrderView;
use crate::domain::staff::OrderStatus;
use crate::pages::live::on_order_events;
use crate::pages::orders::{format_time, status_label};
use crate::pages::ErrorMessage;

/// The board's columns, left to right: what each shows.
const COLUMNS: [(&str, &[&str]); 4] = [
    ("confirmed", &["confirmed"]),
    ("preparing", &["preparing"]),
    ("delivering", &["delivering"]),
    ("done", &["delivered", "cancelled"]),
];

/// What the board's cards share: the refetch, the new orders to highlight, the clock, and the
/// one action that moves an order (owned by the page: every refetch re-renders the cards, and an
/// action that died with its card would panic when its answer arrives).
#[derive(Clone, Copy)]
struct Board {
    orders: Resource<Result<Vec<OrderView>, crate::error::AppError>>,
    fresh: RwSignal<Vec<i64>>,
    now: RwSignal<chrono::DateTime<chrono::Utc>>,
    mover: ServerAction<MoveOrder>,
    /// The order the last move was for: its card shows the pending state and any error.
    moving: RwSignal<Option<i64>>,
}

impl Board {
    fn dispatch(self, order_id: i64, status: OrderStatus, reason: Option<String>) {
        self.moving.set(Some(order_id));
        self.mover.dispatch(MoveOrder {
            order_id,
            status,
            reason,
        });
    }
}

#[component]
pub fn StaffBoardPage() -> impl IntoView {
    let lang = use_lang();
    let board = Board {
        orders: Resource::new(|| (), |_| staff_orders()),
        fresh: RwSignal::new(Vec::new()),
        now: RwSignal::new(crate::pages::now()),
        mover: ServerAction::new(),
        moving: RwSignal::new(None),
    };
    Effect::new(move |_| {
        if let Some(Ok(_)) = board.mover.value().get() {
            board.orders.refetch();
        }
    });
    let muted = RwSignal::new(false);
    let allowed = move || board.orders.get().is_some_and(|o| o.is_ok());
    on_order_events("/api/staff/events".into(), allowed, move |change| {
        if let Some(change) = change.filter(|c| c.order_status == "confirmed") {
            board.fresh.update(|f| f.push(change.order_id));
            if !muted.get_untracked() {
                chime();
            }
        }
        board.now.set(crate::pages::now());
        board.orders.refetch();
    });
    tick_every_minute(board.now);
    view! {
        <StaffNav />
        <section class="staff-board" data-testid="staff-board">
            <div class="board-head">
                <h1>{move || lang.get().pick("주방 보드", "Kitchen board")}</h1>
                <MuteToggle muted />
            </div>
            <Transition fallback=|| view! { <p class="loading">"…"</p> }>
                {move || Suspend::new(async move {
                    match board.orders.await {
                        Ok(orders) => view! { <Columns orders board /> }.into_any(),
                        Err(error) => view! { <ErrorMessage error /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

/// The staff pages' own menu.
#[component]
pub fn StaffNav() -> impl IntoView {
    let lang = use_lang();
    view! {
        <nav class="staff-nav" aria-label=move || lang.get().pick("직원 메뉴", "Staff")>
            <A href="/staff" attr:data-testid="staff-nav-board">{move || lang.get().pick("주방 보드", "Board")}</A>
            <A href="/staff/stock" attr:data-testid="staff-nav-stock">{move || lang.get().pick("재고", "Stock")}</A>
            <A href="/staff/events" attr:data-testid="staff-nav-events">{move || lang.get().pick("이벤트", "Events")}</A>
        </nav>
    }
}

#[component]
fn MuteToggle(muted: RwSignal<bool>) -> impl IntoView {
    let lang = use_lang();
    view! {
        <button type="button" class="button" data-testid="mute" aria-pressed=move || muted.get().to_string()
            on:click=move |_| muted.update(|m| *m = !*m)>
            {move || match (muted.get(), lang.get()) {
                (false, l) => l.pick("🔔 알림음 켜짐", "🔔 Sound on"),
                (true, l) => l.pick("🔕 알림음 꺼짐", "🔕 Sound off"),
            }}
        </button>
    }
}

#[component]
fn Columns(orders: Vec<OrderView>, board: Board) -> impl IntoView {
    let lang = use_lang();
    COLUMNS
        .into_iter()
        .map(|(name, statuses)| {
            let cards: Vec<OrderView> = orders
                .iter()
                .filter(|o| statuses.contains(&o.order_status.as_str()))
                .cloned()
                .collect();
            let count = cards.len();
            view! {
                <section class="board-column" data-testid=format!("column-{name}") aria-label=move || column_title(lang.get(), name)>
                    <h2>{move || column_title(lang.get(), name)} " (" {count} ")"</h2>
                    {cards.into_iter().map(|order| view! { <OrderCard order board /> }).collect_view()}
                </section>
            }
            .into_any()
        })
        .collect_view()
}

fn column_title(l: Lang, column: &str) -> String {
    match column {
        "done" => l.pick("완료 · 취소", "Done · cancelled").to_owned(),
        status => status_label(l, status),
    }
}

#[component]
fn OrderCard(order: OrderView, board: Board) -> impl IntoView {
    let lang = use_lang();
    let id = order.id;
    let is_fresh = move || board.fresh.read().contains(&id);
    let created = order.created_at;
    let waited = move || (board.now.get() - created).num_minutes().max(0);
    let status = OrderStatus::parse(&order.order_status);
    let (store_ko, store_en) = (order.store_name_ko.clone(), order.store_name_en.clone());
    view! {
        <article class="order-card" class:fresh=is_fresh data-testid="staff-order"
            data-order-number=order.order_number.clone() data-status=order.order_status.clone()>
            <header>
                <strong>{order.order_number.clone()}</strong>
                <span class="store">{move || lang.get().pick(store_ko.clone(), store_en.clone())}</span>
                <span class="waited" data-testid="waited">
                    {move || lang.get().pick(format!("{}분 대기", waited()), format!("waiting {} min", waited()))}
                </span>
            </header>
            <OrderLines order=order.clone() />
            <DeliveryNote order=order.clone() />
            {status.map(|status| view! { <CardActions id status board /> })}
        </article>
    }
    .into_any()
}

#[component]
fn OrderLines(order: OrderView) -> impl IntoView {
    let lang = use_lang();
    view! {
        <ul class="card-lines">
            {order.items.into_iter().map(|i| view! {
                <li data-testid="staff-line">
                    {move || lang.get().pick(i.menu_name_ko.clone(), i.menu_name_en.clone())} " · "
                    {move || lang.get().pick(i.style_name_ko.clone(), i.style_name_en.clone())} " × " {i.quantity}
                    {(!i.customizations.is_empty()).then(|| view! { <div class="custom">{i.customizations.clone()}</div> })}
                    {i.cake.clone().map(|c| view! { <div class="cake">"🎂 " {c}</div> })}
                </li>
            }).collect_view()}
            {order.side_dishes.into_iter().map(|s| view! {
                <li class="side">"+ " {move || lang.get().pick(s.name_ko.clone(), s.name_en.clone())} " × " {s.quantity}</li>
            }).collect_view()}
        </ul>
    }
}

#[component]
fn DeliveryNote(order: OrderView) -> impl IntoView {
    let lang = use_lang();
    let when = order
        .estimated_delivery_at
        .map(|t| format_time(&t))
        .unwrap_or_default();
    view! {
        <p class="delivery">
            {move || lang.get().pick("도착 예정 ", "Due ")} {when.clone()} " · " {order.delivery.address.clone()}
        </p>
        {order.delivery.notes.clone().map(|n| view! { <p class="notes" data-testid="staff-notes">"📝 " {n}</p> })}
    }
}

#[component]
fn CardActions(id: i64, status: OrderStatus, board: Board) -> impl IntoView {
    let lang = use_lang();
    let mine = move || board.moving.get() == Some(id);
    let pending = move || mine() && board.mover.pending().get();
    let asking = RwSignal::new(false);
    let reason = RwSignal::new(String::new());
    let forward = status.next().map(|next| {
        let label = move || forward_label(lang.get(), next);
        view! {
            <button type="button" class="button primary" data-testid="advance"
                disabled=pending
                on:click=move |_| board.dispatch(id, next, None)>
                {label}
            </button>
        }
    });
    let cancellable = !matches!(status, OrderStatus::Delivered | OrderStatus::Cancelled);
    view! {
        <div class="card-actions">
            {forward}
            {cancellable.then(|| view! {
                <button type="button" class="button" data-testid="cancel-order" on:click=move |_| asking.set(true)>
                    {move || lang.get().pick("취소", "Cancel")}
                </button>
            })}
        </div>
        <Show when=move || asking.get()>
            <form class="cancel-form" on:submit=move |ev| {
                ev.prevent_default();
                board.dispatch(id, OrderStatus::Cancelled, Some(reason.get_untracked()));
            }>
                <label>
                    {move || lang.get().pick("취소 사유", "Reason")}
                    <input type="text" required maxlength="200" data-testid="cancel-reason"
                        prop:value=move || reason.get() on:input=move |ev| reason.set(event_target_value(&ev)) />
                </label>
                <button type="submit" class="button danger" data-testid="confirm-cancel">
                    {move || lang.get().pick("주문 취소", "Cancel order")}
                </button>
            </form>
        </Show>
        {move || match board.mover.value().get() {
            Some(Err(error)) if mine() => Some(view! { <ErrorMessage error /> }),
            _ => None,
        }}
    }
    .into_any()
}

fn forward_label(l: Lang, next: OrderStatus) -> &'static str {
    match next {
        OrderStatus::Preparing => l.pick("조리 시작", "Start cooking"),
        OrderStatus::Delivering => l.pick("배달 출발", "Out for delivery"),
        _ => l.pick("배달 완료", "Delivered"),
    }
}

/// Keeps the "waiting N min" figures current.
fn tick_every_minute(now: RwSignal<chrono::DateTime<chrono::Utc>>) {
    #[cfg(feature = "hydrate")]
    {
        let handle = set_interval_with_handle(
            move || now.set(crate::pages::now()),
            std::time::Duration::from_secs(30),
        );
        if let Ok(handle) = handle {
            on_cleanup(move || handle.clear());
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = now;
}

/// A short two-tone chime for a new order (Web Audio; silent where the browser refuses).
fn chime() {
    #[cfg(feature = "hydrate")]
    {
        let play = || -> Result<(), wasm_bindgen::JsValue> {
            let ctx = web_sys::AudioContext::new()?;
            let t = ctx.current_time();
            for (i, freq) in [880.0_f32, 1320.0].into_iter().enumerate() {
                let osc = ctx.create_oscillator()?;
                let gain = ctx.create_gain()?;
                osc.frequency().set_value(freq);
                gain.gain().set_value(0.15);
                osc.connect_with_audio_node(&gain)?;
                gain.connect_with_audio_node(&ctx.destination())?;
                let start = t + 0.18 * i as f64;
                osc.start_with_when(start)?;
                osc.stop_with_when(start + 0.15)?;
            }
            Ok(())
        };
        if play().is_err() {
            leptos::logging::warn!("no sound for the new-order chime");
        }
    }
}
