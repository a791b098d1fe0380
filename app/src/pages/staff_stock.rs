//! `/staff/stock`: a store's ingredients, on hand and reserved; a manager restocks here.

use leptos::prelude::*;

use crate::api::checkout::list_stores;
use crate::api::staff::{staff_stock, Restock};
use crate::domain::staff::{RestockRequest, StockRow, StoreStock};
use crate::pages::lang::use_lang;
use crate::pages::staff::StaffNav;
use crate::pages::ErrorMessage;

#[component]
pub fn StaffStockPage() -> impl IntoView {
    let lang = use_lang();
    let store = RwSignal::new(None::<String>);
    let restock = ServerAction::<Restock>::new();
    let stock = Resource::new(
        move || (store.get(), restock.version().get()),
        |(store, _)| staff_stock(store),
    );
    let stores = Resource::new(|| (), |_| list_stores());
    view! {
        <StaffNav />
        <h1>{move || lang.get().pick("재고", "Stock")}</h1>
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                stores.await.ok().map(|stores| view! {
                    <label>{move || lang.get().pick("매장 ", "Store ")}
                        <select data-testid="stock-store" on:change=move |ev| store.set(Some(event_target_value(&ev)))>
                            {stores.into_iter().map(|s| view! {
                                <option value=s.code.clone()>{move || lang.get().pick(s.name_ko.clone(), s.name_en.clone())}</option>
                            }).collect_view()}
                        </select>
                    </label>
                })
            })}
        </Transition>
        {move || match restock.value().get() {
            Some(Err(error)) => Some(view! { <ErrorMessage error /> }),
            _ => None,
        }}
        <Transition fallback=|| view! { <p class="loading">"…"</p> }>
            {move || Suspend::new(async move {
                match stock.await {
                    Ok(stock) => view! { <StockTable stock restock /> }.into_any(),
                    Err(error) => view! { <ErrorMessage error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn StockTable(stock: StoreStock, restock: ServerAction<Restock>) -> impl IntoView {
    let lang = use_lang();
    let store = stock.store.clone();
    view! {
        <table class="stock-table" data-testid="stock-table" data-store=stock.store.clone()>
            <thead>
                <tr>
                    <th>{move || lang.get().pick("재료", "Ingredient")}</th>
                    <th>{move || lang.get().pick("보유", "On hand")}</th>
                    <th>{move || lang.get().pick("예약됨", "Reserved")}</th>
                    <th>{move || lang.get().pick("채우기 (매니저)", "Restock (managers)")}</th>
                </tr>
            </thead>
            <tbody>
                {stock.rows.into_iter().map(|row| view! { <StockLine row store=store.clone() restock /> }).collect_view()}
            </tbody>
        </table>
    }
}

#[component]
fn StockLine(row: StockRow, store: String, restock: ServerAction<Restock>) -> impl IntoView {
    let lang = use_lang();
    let add = RwSignal::new(String::from("10"));
    let ingredient = row.ingredient.clone();
    let (name_ko, name_en) = (row.name_ko.clone(), row.name_en.clone());
    let unit = move || lang.get().pick(row.unit_ko.clone(), row.unit_en.clone());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let req = RestockRequest {
            store: store.clone(),
            ingredient: ingredient.clone(),
            add: add.get_untracked().trim().parse().unwrap_or(0),
        };
        restock.dispatch(Restock { req });
    };
    view! {
        <tr data-testid="stock-row" data-code=row.ingredient.clone()>
            <td>{move || lang.get().pick(name_ko.clone(), name_en.clone())}</td>
            <td data-testid="stock-on-hand" class:short=row.on_hand < 5>{row.on_hand} " " {unit.clone()}</td>
            <td data-testid="stock-reserved">{row.reserved}</td>
            <td>
                <form class="restock" on:submit=submit>
                    <input type="number" min="1" max="10000" data-testid="restock-add"
                        aria-label=move || lang.get().pick("더할 수량", "Units to add")
                        prop:value=move || add.get() on:input=move |ev| add.set(event_target_value(&ev)) />
                    <button type="submit" class="button" data-testid="restock-submit">
                        {move || lang.get().pick("채우기", "Add")}
                    </button>
                </form>
            </td>
        </tr>
    }
}
