use leptos::prelude::*;
use leptos_router::components::A;

use crate::pages::lang::use_lang;

#[component]
pub fn HomePage() -> impl IntoView {
    let lang = use_lang();
    view! {
        <section class="hero">
            <h1 data-testid="home-title">
                {move || lang.get().pick("미스터 대박 디너 서비스", "Mr. Daebak Dinner Service")}
            </h1>
            <p class="tagline">
                {move || {
                    lang.get()
                        .pick(
                            "특별한 날을 위한 디너를 집으로 배달해 드립니다. 화면으로도, 목소리로도 주문하세요.",
                            "Special dinners delivered to your door. Order on screen or by voice.",
                        )
                }}
            </p>
            <A href="/menu" attr:class="button primary" attr:data-testid="cta-menu">
                {move || lang.get().pick("메뉴 보기", "See the menu")}
            </A>
        </section>
    }
}
