//! The confirmation page of one order and the "my orders" list.

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

use crate::api::checkout::{get_order, my_orders};
use crate::api::staff::CancelMyOrder;
use crate::domain::i18n::Lang;
use crate::domain::order_view::OrderView;
use crate::domain::staff::OrderStatus;
use crate::pages::lang::use_lang;
use crate::pages::live::on_order_events;
use crate::pages::ErrorMessage;

pub fn status_label(lang: Lang, status: &str) -> String {
    let (ko, en) = match status {
        "pending" => ("결제 대기", "Awaiting payment"),
        "confirmed" => ("주문 확인", "Confirmed"),
        "preparing" => ("준비 중", "Preparing"),
        "delivering" => ("배달 중", "On the way"),
        "delivered" => ("배달 완료", "Delivered"),
        "cancelled" => ("취소됨", "Cancelled"),
        "paid" => ("결제 완료", "Paid"),
        "failed" => ("결제 실패", "Payment failed"),
        "refunded" => ("환불 완료", "Refunded"),
        other => (other, other),
    };
    lang.pick(ko, en).to_owned()
}

pub fn format_time(t: &chrono::DateTime<chrono::Utc>) -> String {
    const FORMAT: &str = "%Y-%m-%d %H:%M";
    // Shown in Korea's time, where the restaurant is.
    match chrono::FixedOffset::east_opt(9 * 3600) {
        Some(kst) => t.with_timezone(&kst).format(FORMAT).to_string(),
        None => t.format(FORMAT).to_string(),
    }
}

/// The `:id` of `/orders/:id…` as a reactive value (0, which matches no order, if it is not a number).
pub fn order_id_param() -> impl Fn() -> i64 + Copy + Send + Sync + 'static {
    let params = use_params_map();
    move || {
        params
            .read()
            .get("id")
            .and_then(|s| s.parse::<i64>().ok())
            .unwrap_or(0)
    }
}

#[component]
pub fn OrderPage() -> impl IntoView {
    let lang = use_lang();
    let order_id = order_id_param();
    let order = Resource::new(order_id, get_order);
    // The page follows the order live: the kitchen's and the rider's steps appear as they happen.
    let events = format!("/api/orders/{}/events", untrack(order_id));
    let readable = move || order.get().is_some_and(|o| o.is_ok());
    on_order_events(events, readable, move |_| order.refetch());
    // Owned by the page: the stream's refetch re-renders the box, and an action that died with
    // it would panic when its answer arrives.
    let cancel = ServerAction::<CancelMyOrder>::new();
    Effect::new(move |_| {
        if let Some(Ok(_)) = cancel.value().get() {
            order.refetch();
        }
    });
    view! {
        <Transition fallback=|| view! { <p class="loading">"…"</p> }>
            {move || Suspend::new(async move {
                match order.await {
                    Ok(o) => view! {
                        {
                            let o = o.clone();
                            move || order_view(&o, lang.get())
                        }
                        <Timeline order=o.clone() />
                        <CancelBox order=o action=cancel />
                    }.into_any(),
                    Err(error) => view! { <ErrorMessage error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

fn order_view(o: &OrderView, l: Lang) -> impl IntoView + use<> {
    let headline = if o.payment_status == "paid" {
        view! {
            <h1 class="success" data-testid="confirmation-message">
                {format!("주문이 완료되었습니다. 주문 번호: {}", o.order_number)}
            </h1>
        }
        .into_any()
    } else {
        view! {
            <h1>{l.pick("주문 번호", "Order")} " " {o.order_number.clone()}</h1>
        }
        .into_any()
    };
    let pay_link = (o.order_status == "pending" && o.payment_status != "paid").then(|| {
        view! { <A href=format!("/orders/{}/pay", o.id) attr:class="button primary" attr:data-testid="pay-link">{l.pick("결제하기", "Pay now")}</A> }
    });
    view! {
        <article class="order-detail" data-testid="order-detail" data-order-number=o.order_number.clone()
            data-source=o.source.clone()>
            {headline}
            <p data-testid="order-status">
                {status_label(l, &o.order_status)} " · " {status_label(l, &o.payment_status)}
            </p>
            {pay_link}
            <ul class="options">
                {o.items.iter().map(|i| view! {
                    <li data-testid="order-item" data-code=i.menu.clone()>
                        <span>
                            {l.pick(i.menu_name_ko.clone(), i.menu_name_en.clone())} " · "
                            {l.pick(i.style_name_ko.clone(), i.style_name_en.clone())} " × " {i.quantity}
                            {(!i.customizations.is_empty()).then(|| format!(" ({})", i.customizations))}
                            {i.cake.clone().map(|c| format!(" 🎂 {c}"))}
                        </span>
                        <span class="price">{l.price(i.line_total)}</span>
                    </li>
                }).collect_view()}
                {o.side_dishes.iter().map(|s| view! {
                    <li data-testid="order-side" data-code=s.code.clone()>
                        <span>{l.pick(s.name_ko.clone(), s.name_en.clone())} " × " {s.quantity}</span>
                        <span class="price">{l.price(s.line_total)}</span>
                    </li>
                }).collect_view()}
            </ul>
            <ul class="discounts">
                {o.discounts.iter().map(|d| view! {
                    <li data-testid="order-discount">{l.pick(d.label_ko.clone(), d.label_en.clone())} " −" {l.price(d.amount)}</li>
                }).collect_view()}
            </ul>
            <p>{l.pick("상품 금액", "Subtotal")} " " {l.price(o.original_price)}</p>
            <p>{l.pick("할인", "Discount")} " −" {l.price(o.discount_amount)}</p>
            <p class="total">{l.pick("결제 금액", "Total")} " " <strong data-testid="order-total">{l.price(o.final_price)}</strong></p>
            {o.estimated_delivery_at.as_ref().map(|t| view! {
                <p data-testid="order-eta">{l.pick("도착 예정", "Estimated delivery")} " " {format_time(t)}</p>
            })}
            <p>{l.pick(o.store_name_ko.clone(), o.store_name_en.clone())} " → " {o.delivery.address.clone()} " (" {o.delivery.recipient.clone()} ")"</p>
        </article>
    }
}

/// Placed, then every change of status with its time (and a cancel's reason).
#[component]
fn Timeline(order: OrderView) -> impl IntoView {
    let lang = use_lang();
    let steps: Vec<(String, String, Option<String>)> =
        std::iter::once(("placed".to_owned(), format_time(&order.created_at), None))
            .chain(
                order
                    .history
                    .iter()
                    .map(|h| (h.status.clone(), format_time(&h.at), h.reason.clone())),
            )
            .collect();
    view! {
        <ol class="timeline" data-testid="order-timeline" aria-label=move || lang.get().pick("주문 진행", "Order progress")>
            {steps.into_iter().map(|(status, at, reason)| {
                let label = status.clone();
                view! {
                    <li data-testid="timeline-step" data-status=status>
                        <span>{move || match label.as_str() {
                            "placed" => lang.get().pick("주문 접수", "Order placed").to_owned(),
                            other => status_label(lang.get(), other),
                        }}</span>
                        " " <time>{at}</time>
                        {reason.map(|r| view! { <span class="reason">" · " {r}</span> })}
                    </li>
                }
            }).collect_view()}
        </ol>
    }
}

/// Cancel before the kitchen starts (asking why); afterwards, say that it is too late. A
/// cancelled paid order shows its refund.
#[component]
fn CancelBox(order: OrderView, action: ServerAction<CancelMyOrder>) -> impl IntoView {
    let lang = use_lang();
    let reason = RwSignal::new(String::new());
    let status = OrderStatus::parse(&order.order_status);
    let id = order.id;
    let refund = order.refund.clone().map(|r| view! {
        <p class="success" data-testid="order-refund">
            {move || lang.get().pick("환불 완료", "Refunded")} " " {move || lang.get().price(r.amount)} " · " {r.card_masked.clone()}
        </p>
    });
    let body = match status {
        Some(s) if s.customer_may_cancel() => view! {
            <form class="cancel-form" data-testid="cancel-form" on:submit=move |ev| {
                ev.prevent_default();
                action.dispatch(CancelMyOrder { order_id: id, reason: reason.get_untracked() });
            }>
                <label>
                    {move || lang.get().pick("취소 사유", "Reason for cancelling")}
                    <input type="text" required maxlength="200" data-testid="cancel-reason"
                        prop:value=move || reason.get() on:input=move |ev| reason.set(event_target_value(&ev)) />
                </label>
                <button type="submit" class="button danger" data-testid="cancel-order" disabled=move || action.pending().get()>
                    {move || lang.get().pick("주문 취소", "Cancel order")}
                </button>
            </form>
        }.into_any(),
        Some(OrderStatus::Preparing | OrderStatus::Delivering) => view! {
            <p class="note" data-testid="cancel-closed">
                {move || lang.get().pick("조리가 시작되어 주문을 취소할 수 없습니다.", "The kitchen has started: the order can no longer be cancelled.")}
            </p>
        }.into_any(),
        _ => ().into_any(),
    };
    view! {
        {refund}
        {body}
        {move || match action.value().get() {
            Some(Err(error)) => Some(view! { <ErrorMessage error /> }),
            _ => None,
        }}
    }
}

#[component]
pub fn MyOrdersPage() -> impl IntoView {
    let lang = use_lang();
    let orders = Resource::new(|| (), |_| my_orders());
    view! {
        <h1>{move || lang.get().pick("내 주문", "My orders")}</h1>
        <Transition fallback=|| view! { <p class="loading">"…"</p> }>
            {move || Suspend::new(async move {
                match orders.await {
                    Ok(list) => view! {
                        {move || {
                            let l = lang.get();
                            if list.is_empty() {
                                return view! { <p>{l.pick("아직 주문이 없습니다.", "No orders yet.")}</p> }.into_any();
                            }
                            view! {
                                <table class="orders" data-testid="my-orders">
                                    <tbody>
                                        {list.iter().map(|o| {
                                            let number = o.order_number.clone();
                                            view! {
                                            <tr data-testid="my-order" data-order-number=o.order_number.clone()>
                                                <td><A href=format!("/orders/{}", o.id)>{number}</A></td>
                                                <td>{format_time(&o.created_at)}</td>
                                                <td data-testid="my-order-dinners">{l.pick(o.dinners_ko.clone(), o.dinners_en.clone())}</td>
                                                <td data-testid="my-order-status">{status_label(l, &o.order_status)} " · " {status_label(l, &o.payment_status)}</td>
                                                <td class="price">{l.price(o.final_price)}</td>
                                            </tr>
                                        }}).collect_view()}
                                    </tbody>
                                </table>
                            }.into_any()
                        }}
                    }.into_any(),
                    Err(error) => view! { <ErrorMessage error /> }.into_any(),
                }
            })}
        </Transition>
    }
}
