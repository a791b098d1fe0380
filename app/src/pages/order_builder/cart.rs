//! The cart: the order's dinner lines, one of which the builder's fields edit at a time. The
//! lines are kept on the server (`save_cart`), so a reload, a second tab and a sign-in find them.

use leptos::prelude::*;

use crate::domain::i18n::Lang;
use crate::domain::menu::{Menu, Named};
use crate::domain::order::{LineDraft, OrderDraft};
use crate::domain::order_view::Quote;
use crate::error::AppError;
use crate::pages::builder_fields::BuilderFields;
use crate::pages::lang::use_lang;
use crate::pages::ErrorMessage;

use crate::domain::voice::{line_draft, side_dish_drafts, OrderState};

use super::draft::{load_line, side_counts, CakeFields};

/// The editor: the builder's fields and the line they make.
#[derive(Clone, Copy)]
pub struct Editor {
    pub menu: StoredValue<Menu>,
    pub fields: BuilderFields,
    pub cake: CakeFields,
    /// The chosen style, or the dinner's first.
    pub style: Memo<String>,
    pub line: Memo<Result<LineDraft, String>>,
}

impl Editor {
    /// A dinner as it comes, the style left to the builder (its first) as on a fresh page.
    fn fresh(&self, dinner: String) {
        self.fields.choose_dinner(dinner);
        self.fields.quantity.set(1);
        self.cake.on.set(false);
    }
}

/// The cart's lines and which one the editor shows.
#[derive(Clone, Copy)]
pub struct Cart {
    pub lines: RwSignal<Vec<LineDraft>>,
    pub selected: RwSignal<usize>,
}

impl Cart {
    pub fn new(lines: Vec<LineDraft>, selected: usize) -> Self {
        Cart {
            lines: RwSignal::new(lines),
            selected: RwSignal::new(selected),
        }
    }

    /// The editor's line, where it is a line, goes back into the cart.
    fn commit(&self, editor: Editor) {
        if let Ok(line) = editor.line.get_untracked() {
            let i = self.selected.get_untracked();
            self.lines.update(|lines| {
                if let Some(slot) = lines.get_mut(i) {
                    *slot = line;
                }
            });
        }
    }

    fn open(&self, i: usize, editor: Editor) {
        self.commit(editor);
        self.open_without_commit(i, editor);
    }

    /// Another dinner at the end of the cart, open in the editor.
    fn add(&self, editor: Editor) {
        self.commit(editor);
        let first = editor
            .menu
            .with_value(|m| m.dinners.first().map(|d| d.code.clone()))
            .unwrap_or_default();
        let line = editor
            .menu
            .with_value(|m| LineDraft::as_it_comes(m, &first));
        self.lines.update(|l| l.push(line));
        self.selected.set(self.lines.with_untracked(Vec::len) - 1);
        editor.fresh(first);
    }

    fn duplicate(&self, i: usize, editor: Editor) {
        self.commit(editor);
        let Some(copy) = self.lines.with_untracked(|l| l.get(i).cloned()) else {
            return;
        };
        self.lines.update(|l| l.insert(i + 1, copy));
        self.open(i + 1, editor);
    }

    fn remove(&self, i: usize, editor: Editor) {
        self.commit(editor);
        let selected = self.selected.get_untracked();
        self.lines.update(|l| {
            if i < l.len() {
                l.remove(i);
            }
        });
        let len = self.lines.with_untracked(Vec::len);
        if len == 0 {
            self.selected.set(0);
        } else if i < selected || selected >= len {
            self.open_without_commit(selected.saturating_sub(1).min(len - 1), editor);
        } else if i == selected {
            self.open_without_commit(i.min(len - 1), editor);
        }
    }

    /// A voice proposal becomes the cart: its lines replace the cart's (a line that keeps its
    /// place and its dinner keeps its cake, which voice does not order), its side dishes the
    /// order's. The editor opens the first line still missing a style, else the last line if
    /// the proposal added one, else the line it had open.
    pub fn take_voice(&self, editor: Editor, state: &OrderState) {
        self.commit(editor);
        let old = self.lines.get_untracked();
        let voiced = state.lines();
        let first_style = |menu: &str| {
            editor.menu.with_value(|m| {
                m.dinner(menu)
                    .and_then(|d| d.styles.first())
                    .map(|s| s.code.clone())
            })
        };
        let lines: Option<Vec<LineDraft>> = voiced
            .iter()
            .enumerate()
            .map(|(i, l)| {
                let style = l.style.clone().or_else(|| first_style(&l.menu))?;
                let mut line = line_draft(l, style).ok()?;
                line.cake = old
                    .get(i)
                    .filter(|o| o.menu == l.menu)
                    .and_then(|o| o.cake.clone());
                Some(line)
            })
            .collect();
        let (Some(lines), Ok(sides)) = (lines, side_dish_drafts(&state.side_dishes)) else {
            return;
        };
        if lines.is_empty() {
            return;
        }
        let unsaid = voiced.iter().position(|l| l.style.is_none());
        let selected = unsaid.unwrap_or(if lines.len() > old.len() {
            lines.len() - 1
        } else {
            self.selected.get_untracked().min(lines.len() - 1)
        });
        self.lines.set(lines);
        self.open_without_commit(selected, editor);
        if unsaid.is_some() {
            editor.fields.style.set(String::new());
        }
        editor.fields.sides.set(side_counts(&sides));
    }

    fn open_without_commit(&self, i: usize, editor: Editor) {
        self.selected.set(i);
        if let Some(line) = self.lines.with_untracked(|l| l.get(i).cloned()) {
            load_line(editor.fields, editor.cake, &line);
        }
    }
}

/// The index of the line a shortfall or a field error names (`lines[1]`, `lines[1].style`).
fn line_of(err: &AppError) -> Option<usize> {
    let field = err.field()?;
    let rest = field.strip_prefix("lines[")?;
    rest[..rest.find(']')?].parse().ok()
}

/// The cart's lines, each with its price, its problems and its buttons.
#[component]
pub fn CartSection(
    cart: Cart,
    editor: Editor,
    draft: Memo<Result<OrderDraft, String>>,
    quote: Resource<Result<Quote, String>>,
    store: RwSignal<String>,
    form_error: RwSignal<Option<AppError>>,
) -> impl IntoView {
    let lang = use_lang();
    // The lines as the customer sees them now: the edited one live.
    let shown = move || match draft.get() {
        Ok(d) => d.lines,
        Err(_) => cart.lines.get(),
    };
    view! {
        <section class="cart" data-testid="cart">
            <h2>{move || lang.get().pick("장바구니", "Cart")}
                " (" <span data-testid="cart-count">{move || cart.lines.with(Vec::len)}</span> ")"</h2>
            <Show when=move || cart.lines.with(Vec::is_empty)>
                <p class="notice" data-testid="cart-empty">
                    {move || lang.get().pick("장바구니가 비어 있습니다. 디너를 추가해 주세요.", "Your cart is empty. Add a dinner.")}
                </p>
            </Show>
            <ol class="cart-lines">
                {move || shown().into_iter().enumerate().map(|(i, line)| view! {
                    <CartLine i line cart editor quote store form_error />
                }).collect_view()}
            </ol>
            <button type="button" class="button" data-testid="cart-add-line"
                disabled=move || { cart.lines.with(Vec::len) >= 10 }
                on:click=move |_| cart.add(editor)>
                {move || lang.get().pick("+ 다른 디너 추가", "+ Add another dinner")}
            </button>
        </section>
    }
    .into_any()
}

/// One line: what it is, its price, what is wrong with it, and edit / duplicate / remove.
#[component]
fn CartLine(
    i: usize,
    line: LineDraft,
    cart: Cart,
    editor: Editor,
    quote: Resource<Result<Quote, String>>,
    store: RwSignal<String>,
    form_error: RwSignal<Option<AppError>>,
) -> impl IntoView {
    let lang = use_lang();
    let editing = move || cart.selected.get() == i;
    let code = line.menu.clone();
    let summary = move || {
        editor
            .menu
            .with_value(|m| line_summary(m, &line, lang.get()))
    };
    let problem = move || {
        editor
            .menu
            .with_value(|m| unavailable(m, &code, &store.get(), lang.get()))
    };
    let shortfall = move || form_error.get().filter(|e| line_of(e) == Some(i));
    view! {
        <li class="cart-line" class:selected=editing data-testid="cart-line" data-index=i>
            <span class="cart-line-name" data-testid="cart-line-name">{summary}</span>
            <LinePrice i quote />
            {move || problem().map(|p| view! { <p class="error" data-testid="cart-line-unavailable">{p}</p> })}
            {move || shortfall().map(|error| view! {
                <ShortfallDetail error=error.clone() menu=editor.menu />
                <ErrorMessage error />
            })}
            <span class="cart-line-actions">
                <Show when=move || !editing() fallback=move || view! {
                    <span class="editing" data-testid="cart-line-editing">{move || lang.get().pick("편집 중", "Editing")}</span>
                }>
                    <button type="button" class="button small" data-testid="cart-line-edit"
                        on:click=move |_| cart.open(i, editor)>{move || lang.get().pick("편집", "Edit")}</button>
                </Show>
                <button type="button" class="button small" data-testid="cart-line-duplicate"
                    disabled=move || { cart.lines.with(Vec::len) >= 10 }
                    on:click=move |_| cart.duplicate(i, editor)>{move || lang.get().pick("복제", "Duplicate")}</button>
                <button type="button" class="button small" data-testid="cart-line-remove"
                    on:click=move |_| cart.remove(i, editor)>{move || lang.get().pick("삭제", "Remove")}</button>
            </span>
        </li>
    }
    .into_any()
}

/// The line's total after its discounts, and the event that applies to it.
#[component]
fn LinePrice(i: usize, quote: Resource<Result<Quote, String>>) -> impl IntoView {
    let lang = use_lang();
    view! {
        <Transition fallback=|| view! { <span class="loading">"…"</span> }>
            {move || Suspend::new(async move {
                let l = lang.get();
                let priced = quote.await.ok().and_then(|q| q.pricing.lines.get(i).cloned());
                priced.map(|p| {
                    let net = crate::domain::money::Money(p.line_total.won() - p.discount.won());
                    let event = p.event.map(|e| format!(" · {} −{}%", l.pick(e.title_ko, e.title_en), e.discount_percent));
                    view! {
                        <span class="cart-line-price" data-testid="cart-line-price">{l.price(net)}</span>
                        <span class="cart-line-discount" data-testid="cart-line-discount">
                            {(p.discount_percent > 0).then(|| format!("−{}%", p.discount_percent))}{event}
                        </span>
                    }
                })
            })}
        </Transition>
    }
}

/// Which ingredient ran short, in the page's language.
#[component]
fn ShortfallDetail(error: AppError, menu: StoredValue<Menu>) -> impl IntoView {
    let lang = use_lang();
    let AppError::OutOfStock {
        ingredient: Some(code),
        ..
    } = error
    else {
        return None;
    };
    let name = move || {
        let l = lang.get();
        menu.with_value(|m| {
            let component = m
                .dinners
                .iter()
                .flat_map(|d| &d.components)
                .find(|c| c.code == code)
                .map(|c| c.name(l).to_owned());
            let side = m
                .side_dishes
                .iter()
                .find(|s| s.code == code)
                .map(|s| s.name(l).to_owned());
            component.or(side).unwrap_or_else(|| code.clone())
        })
    };
    Some(view! {
        <p class="shortfall" data-testid="cart-line-shortfall">
            {move || lang.get().pick("부족한 재료: ", "Short: ")} {name}
        </p>
    })
}

/// "발렌타인 디너 · 심플 × 2 · 케이크"
fn line_summary(menu: &Menu, line: &LineDraft, lang: Lang) -> String {
    let Some(dinner) = menu.dinner(&line.menu) else {
        return line.menu.clone();
    };
    let style = dinner
        .styles
        .iter()
        .find(|s| s.code == line.style)
        .map_or(line.style.as_str(), |s| s.name(lang));
    let mut text = format!(
        "{} · {} × {}",
        dinner.name(lang),
        style,
        line.quantity.get()
    );
    if !line.customizations.is_empty() {
        text.push_str(lang.pick(" · 구성 변경", " · customized"));
    }
    if line.cake.is_some() {
        text.push_str(lang.pick(" · 케이크", " · cake"));
    }
    text
}

/// Why a stored line cannot be ordered as it is: its dinner left the menu, or the store
/// cannot make it now.
fn unavailable(menu: &Menu, code: &str, store: &str, lang: Lang) -> Option<&'static str> {
    match menu.dinner(code) {
        None => Some(lang.pick(
            "이 디너는 더 이상 메뉴에 없습니다. 삭제해 주세요.",
            "This dinner is no longer on the menu. Please remove it.",
        )),
        Some(d) if d.is_sold_out_at(store) => Some(lang.pick(
            "품절: 이 매장에서는 지금 이 디너를 만들 수 없습니다.",
            "Sold out: this store cannot make this dinner right now.",
        )),
        Some(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_their_line() {
        let short = AppError::OutOfStock {
            field: Some("lines[1]".into()),
            ingredient: Some("steak".into()),
        };
        assert_eq!(line_of(&short), Some(1));
        assert_eq!(
            line_of(&AppError::invalid("lines[12].style", "x")),
            Some(12)
        );
        assert_eq!(line_of(&AppError::invalid("side_dishes", "x")), None);
        let unknown = AppError::OutOfStock {
            field: None,
            ingredient: None,
        };
        assert_eq!(line_of(&unknown), None);
    }
}
