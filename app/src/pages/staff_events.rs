//! `/staff/events`: the manager's discount events: create, edit, end. The builder's live
//! quote and voice previews read the events on every request, so a change prices at once.

use leptos::prelude::*;

use crate::api::menu::get_menu;
use crate::api::staff::{staff_events, EndEvent, SaveEvent};
use crate::domain::menu::Menu;
use crate::domain::staff::{EventInput, EventView};
use crate::pages::lang::use_lang;
use crate::pages::orders::format_time;
use crate::pages::staff::StaffNav;
use crate::pages::ErrorMessage;

/// The form's fields; `editing` is the event being edited, `None` for a new one.
#[derive(Clone, Copy)]
struct EventForm {
    editing: RwSignal<Option<i64>>,
    title_ko: RwSignal<String>,
    title_en: RwSignal<String>,
    percent: RwSignal<String>,
    from: RwSignal<String>,
    to: RwSignal<String>,
    menus: RwSignal<Vec<String>>,
}

impl EventForm {
    fn new() -> Self {
        EventForm {
            editing: RwSignal::new(None),
            title_ko: RwSignal::new(String::new()),
            title_en: RwSignal::new(String::new()),
            percent: RwSignal::new("10".into()),
            from: RwSignal::new(String::new()),
            to: RwSignal::new(String::new()),
            menus: RwSignal::new(Vec::new()),
        }
    }

    fn input(&self) -> EventInput {
        EventInput {
            title_ko: self.title_ko.get_untracked(),
            title_en: self.title_en.get_untracked(),
            discount_percent: self.percent.get_untracked().trim().parse().unwrap_or(0),
            valid_from: self.from.get_untracked(),
            valid_to: self.to.get_untracked(),
            menus: self.menus.get_untracked(),
        }
    }

    /// Fills the form from an event, in the `datetime-local` format of Korea's time.
    fn load(&self, e: &EventView) {
        let local = |t: &chrono::DateTime<chrono::Utc>| format_time(t).replace(' ', "T");
        self.editing.set(Some(e.id));
        self.title_ko.set(e.title_ko.clone());
        self.title_en.set(e.title_en.clone());
        self.percent.set(e.discount_percent.to_string());
        self.from.set(local(&e.valid_from));
        self.to.set(local(&e.valid_to));
        self.menus.set(e.menus.clone());
    }
}

#[component]
pub fn StaffEventsPage() -> impl IntoView {
    let lang = use_lang();
    let save = ServerAction::<SaveEvent>::new();
    let end = ServerAction::<EndEvent>::new();
    let events = Resource::new(
        move || (save.version().get(), end.version().get()),
        |_| staff_events(),
    );
    let menu = Resource::new(|| (), |_| get_menu());
    let form = EventForm::new();
    view! {
        <StaffNav />
        <h1>{move || lang.get().pick("이벤트", "Events")}</h1>
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                menu.await.ok().map(|menu| view! { <EventEditor form menu save /> })
            })}
        </Transition>
        {move || match end.value().get() {
            Some(Err(error)) => Some(view! { <ErrorMessage error /> }),
            _ => None,
        }}
        <Transition fallback=|| view! { <p class="loading">"…"</p> }>
            {move || Suspend::new(async move {
                match events.await {
                    Ok(list) => view! { <EventList list form end /> }.into_any(),
                    Err(error) => view! { <ErrorMessage error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn EventEditor(form: EventForm, menu: Menu, save: ServerAction<SaveEvent>) -> impl IntoView {
    let lang = use_lang();
    let field = |label: (&'static str, &'static str),
                 signal: RwSignal<String>,
                 kind: &'static str,
                 testid: &'static str| {
        view! {
            <label>{move || lang.get().pick(label.0, label.1)}
                <input type=kind required data-testid=testid prop:value=move || signal.get()
                    on:input=move |ev| signal.set(event_target_value(&ev)) />
            </label>
        }
    };
    let dinners = menu
        .dinners
        .into_iter()
        .map(|d| {
            let code = d.code.clone();
            let checked = {
                let code = code.clone();
                move || form.menus.read().contains(&code)
            };
            let toggle = move |ev| {
                let on = event_target_checked(&ev);
                form.menus.update(|m| {
                    m.retain(|c| *c != code);
                    if on {
                        m.push(code.clone());
                    }
                });
            };
            view! {
                <label class="choice" data-testid="event-menu" data-code=d.code.clone()>
                    <input type="checkbox" prop:checked=checked on:change=toggle />
                    {move || lang.get().pick(d.name_ko.clone(), d.name_en.clone())}
                </label>
            }
        })
        .collect_view();
    view! {
        <form class="event-form" data-testid="event-form" on:submit=move |ev| {
            ev.prevent_default();
            save.dispatch(SaveEvent { id: form.editing.get_untracked(), input: form.input() });
        }>
            <h2>{move || match form.editing.get() {
                Some(_) => lang.get().pick("이벤트 수정", "Edit event"),
                None => lang.get().pick("새 이벤트", "New event"),
            }}</h2>
            {field(("제목 (한국어)", "Title (Korean)"), form.title_ko, "text", "event-title-ko")}
            {field(("제목 (영어)", "Title (English)"), form.title_en, "text", "event-title-en")}
            {field(("할인율 (%)", "Discount (%)"), form.percent, "number", "event-percent")}
            {field(("시작", "Starts"), form.from, "datetime-local", "event-from")}
            {field(("끝", "Ends"), form.to, "datetime-local", "event-to")}
            <fieldset><legend>{move || lang.get().pick("적용 디너", "Dinners")}</legend>{dinners}</fieldset>
            <button type="submit" class="button primary" data-testid="event-save" disabled=move || save.pending().get()>
                {move || lang.get().pick("저장", "Save")}
            </button>
            {move || match save.value().get() {
                Some(Err(error)) => Some(view! { <ErrorMessage error /> }),
                _ => None,
            }}
        </form>
    }
}

#[component]
fn EventList(list: Vec<EventView>, form: EventForm, end: ServerAction<EndEvent>) -> impl IntoView {
    let lang = use_lang();
    let now = crate::pages::now();
    view! {
        <table class="events" data-testid="event-list">
            <tbody>
                {list.into_iter().map(|e| {
                    let running = e.active && e.valid_from <= now && now < e.valid_to;
                    let id = e.id;
                    let for_edit = e.clone();
                    view! {
                        <tr data-testid="event-row" data-running=running.to_string()>
                            <td>{move || lang.get().pick(e.title_ko.clone(), e.title_en.clone())}</td>
                            <td>{e.discount_percent} "%"</td>
                            <td>{format_time(&e.valid_from)} " – " {format_time(&e.valid_to)}</td>
                            <td>{e.menus.join(", ")}</td>
                            <td>
                                <button type="button" class="button" data-testid="event-edit" on:click=move |_| form.load(&for_edit)>
                                    {move || lang.get().pick("수정", "Edit")}
                                </button>
                                {running.then(|| view! {
                                    <button type="button" class="button danger" data-testid="event-end"
                                        on:click=move |_| { end.dispatch(EndEvent { id }); }>
                                        {move || lang.get().pick("종료", "End")}
                                    </button>
                                })}
                            </td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
}
