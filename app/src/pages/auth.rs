//! Sign-up, log-in and the account page, and the signed-in customer shared by every page.

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_query_map};

use crate::api::account::{current_customer, Login, Logout, Signup};

use crate::domain::account::Customer;
use crate::domain::i18n::Lang;
use crate::error::AppError;
use crate::pages::lang::use_lang;
use crate::pages::ErrorMessage;

/// Who is signed in, refetched whenever `version` moves (after log-in or log-out).
#[derive(Clone, Copy)]
pub struct AuthContext {
    pub customer: Resource<Result<Option<Customer>, AppError>>,
    pub version: RwSignal<u32>,
}

pub fn provide_auth() {
    let version = RwSignal::new(0u32);
    let customer = Resource::new(move || version.get(), |_| current_customer());
    provide_context(AuthContext { customer, version });
}

pub fn use_auth() -> AuthContext {
    expect_context::<AuthContext>()
}

/// Where to go after signing in: the `next` query parameter if it is a local path, else the
/// board for staff and the order page for customers.
fn next_path(staff: bool) -> String {
    let next = use_query_map()
        .read_untracked()
        .get("next")
        .unwrap_or_default();
    if next.starts_with('/') && !next.starts_with("//") {
        next
    } else if staff {
        "/staff".to_owned()
    } else {
        "/order".to_owned()
    }
}

/// Field-level error text for a form, if the error is about `field`.
pub fn error_for<T>(
    value: &Option<Result<T, AppError>>,
    field: &str,
    lang: Lang,
) -> Option<String> {
    match value {
        Some(Err(e)) if e.field() == Some(field) => Some(e.message(lang)),
        _ => None,
    }
}

#[component]
pub fn AccountLink() -> impl IntoView {
    let lang = use_lang();
    let auth = use_auth();
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                match auth.customer.await {
                    Ok(Some(c)) => view! {
                        {c.staff_role().is_some().then(|| view! {
                            <A href="/staff" attr:data-testid="staff-link">{move || lang.get().pick("주방 보드", "Kitchen board")}</A>
                        })}
                        <A href="/account" attr:class="account" attr:data-testid="account-link">
                            {c.name} " · " <span class="tier" data-testid="tier">{c.tier}</span>
                        </A>
                    }.into_any(),
                    _ => view! {
                        <A href="/login" attr:data-testid="login-link">{move || lang.get().pick("로그인", "Log in")}</A>
                    }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
pub fn SignupPage() -> impl IntoView {
    let lang = use_lang();
    let auth = use_auth();
    let action = ServerAction::<Signup>::new();
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(_)) = action.value().get() {
            auth.version.update(|v| *v += 1);
            navigate(&next_path(false), Default::default());
        }
    });
    let err =
        move |field: &'static str| move || action.value().with(|v| error_for(v, field, lang.get()));
    view! {
        <section class="auth-form">
            <h1>{move || lang.get().pick("회원가입", "Sign up")}</h1>
            <ActionForm action=action>
                <label>{move || lang.get().pick("이메일", "Email")}
                    <input type="email" name="email" required data-testid="signup-email" />
                </label>
                <p class="field-error" data-testid="error-email">{err("email")}</p>
                <label>{move || lang.get().pick("비밀번호 (8자 이상)", "Password (8+ characters)")}
                    <input type="password" name="password" required minlength="8" data-testid="signup-password" />
                </label>
                <p class="field-error" data-testid="error-password">{err("password")}</p>
                <label>{move || lang.get().pick("이름", "Name")}
                    <input type="text" name="name" required data-testid="signup-name" />
                </label>
                <p class="field-error" data-testid="error-name">{err("name")}</p>
                <label>{move || lang.get().pick("전화번호", "Phone")}
                    <input type="tel" name="phone" data-testid="signup-phone" />
                </label>
                <button type="submit" class="button primary" data-testid="signup-submit" disabled=move || action.pending().get()>
                    {move || lang.get().pick("가입하기", "Create account")}
                </button>
            </ActionForm>
            <p>{move || lang.get().pick("이미 계정이 있으신가요? ", "Have an account? ")}
                <A href="/login">{move || lang.get().pick("로그인", "Log in")}</A></p>
        </section>
    }
}

#[component]
pub fn LoginPage() -> impl IntoView {
    let lang = use_lang();
    let auth = use_auth();
    let action = ServerAction::<Login>::new();
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(account)) = action.value().get() {
            auth.version.update(|v| *v += 1);
            navigate(
                &next_path(account.staff_role().is_some()),
                Default::default(),
            );
        }
    });
    view! {
        <section class="auth-form">
            <h1>{move || lang.get().pick("로그인", "Log in")}</h1>
            <ActionForm action=action>
                <label>{move || lang.get().pick("이메일", "Email")}
                    <input type="email" name="email" required data-testid="login-email" />
                </label>
                <label>{move || lang.get().pick("비밀번호", "Password")}
                    <input type="password" name="password" required data-testid="login-password" />
                </label>
                {move || match action.value().get() {
                    Some(Err(error)) => Some(view! { <ErrorMessage error /> }),
                    _ => None,
                }}
                <button type="submit" class="button primary" data-testid="login-submit" disabled=move || action.pending().get()>
                    {move || lang.get().pick("로그인", "Log in")}
                </button>
            </ActionForm>
            <p>{move || lang.get().pick("처음이신가요? ", "New here? ")}
                <A href="/signup" attr:data-testid="signup-link">{move || lang.get().pick("회원가입", "Sign up")}</A></p>
        </section>
    }
}

#[component]
pub fn AccountPage() -> impl IntoView {
    let lang = use_lang();
    let auth = use_auth();
    let logout = ServerAction::<Logout>::new();
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(())) = logout.value().get() {
            auth.version.update(|v| *v += 1);
            navigate("/", Default::default());
        }
    });
    view! {
        <section class="account-page">
            <h1>{move || lang.get().pick("내 계정", "My account")}</h1>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    match auth.customer.await {
                        Ok(Some(c)) => view! {
                            <dl class="account-details">
                                <dt>{move || lang.get().pick("이름", "Name")}</dt><dd>{c.name.clone()}</dd>
                                <dt>{move || lang.get().pick("이메일", "Email")}</dt><dd>{c.email.clone()}</dd>
                                <dt>{move || lang.get().pick("등급", "Tier")}</dt>
                                <dd data-testid="account-tier">{c.tier.clone()}</dd>
                            </dl>
                            <A href="/orders" attr:class="button">{move || lang.get().pick("내 주문", "My orders")}</A>
                        }.into_any(),
                        Ok(None) => view! { <ErrorMessage error=AppError::Unauthorized /> }.into_any(),
                        Err(error) => view! { <ErrorMessage error /> }.into_any(),
                    }
                })}
            </Transition>
            <ActionForm action=logout>
                <button type="submit" class="button" data-testid="logout">{move || lang.get().pick("로그아웃", "Log out")}</button>
            </ActionForm>
        </section>
    }
}
