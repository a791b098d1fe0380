//! The GBNF grammar of an analysis, built from the live menu: valid JSON of the analysis
//! structure whose menu, style, side-dish and component fields can only be the menu's own codes
//! (and each dinner only its own styles and components).

use ai_protocol::MenuCatalog;

fn lit(s: &str) -> String {
    // GBNF string literal of JSON text: escape the quotes and backslashes.
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

fn rule_name(code: &str) -> String {
    code.replace('_', "-")
}

/// What the decoder writes after a component's code: the amount the dinner includes, then the
/// key of the amount the model chooses (one text for the grammar and the decoder).
pub fn after_component_code(included: u32) -> String {
    format!(",\"included\":{included},\"quantity\":")
}

/// The first line's fields are the seed's; further lines follow in `more`. A line of the order
/// so far may be `removed` (see the decoder).
pub fn analysis_grammar(menu: &MenuCatalog) -> String {
    let mut g = String::new();
    let names: Vec<String> = menu.dinners.iter().map(|d| rule_name(&d.code)).collect();
    let alternatives = |prefix: &str| {
        names
            .iter()
            .map(|n| format!("{prefix}-{n}"))
            .collect::<Vec<_>>()
            .join(" | ")
    };
    g.push_str(&format!(
        "root ::= {} ( {} | intent {} ( {} ) )\n",
        lit("{\"intent\":"),
        lit("\"unclear\"}"),
        lit(",\"menu\":"),
        alternatives("d")
    ));
    g.push_str(&format!(
        "intent ::= {} | {}\n",
        lit("\"order\""),
        lit("\"modify\"")
    ));
    g.push_str("qty ::= [1-9] | \"10\"\n");
    g.push_str("cqty ::= [0-9] | \"10\"\n");
    let sides: Vec<String> = menu
        .side_dishes
        .iter()
        .map(|s| format!("{} cqty", lit(&format!("\"{}\":", s.code))))
        .collect();
    g.push_str(&format!("sides ::= {}\n", sides.join(" \",\" ")));
    g.push_str(&format!(
        "more ::= {} ( line ( \",\" line )* )? \"]\"\n",
        lit(",\"more\":[")
    ));
    g.push_str(&format!(
        "line ::= {} ( {} )\n",
        lit("{\"menu\":"),
        alternatives("l")
    ));
    for d in &menu.dinners {
        dinner_rules(&mut g, d);
    }
    g
}

/// The rules of one dinner: as the first line (`d-`), as a further line (`l-`), its style and
/// quantity (`s-`) and its components (`c-`).
fn dinner_rules(g: &mut String, d: &ai_protocol::MenuDinner) {
    let name = rule_name(&d.code);
    let mut styles = vec![lit("null")];
    styles.extend(d.styles.iter().map(|s| lit(&format!("\"{}\"", s.code))));
    let removed = lit(",\"removed\":true");
    let kept = lit(",\"removed\":false");
    g.push_str(&format!(
        "s-{name} ::= ( {kept} )? {} ( {} ) {} qty\n",
        lit(",\"style\":"),
        styles.join(" | "),
        lit(",\"quantity\":"),
    ));
    g.push_str(&format!(
        "d-{name} ::= {} ( {removed} | s-{name} ) {} sides {} ( c-{name} ( \",\" c-{name} )* )? \"]\" more \"}}\"\n",
        lit(&format!("\"{}\"", d.code)),
        lit(",\"side_dishes\":{"),
        lit("},\"customizations\":["),
    ));
    g.push_str(&format!(
        "l-{name} ::= {} ( {removed} | s-{name} {} ( c-{name} ( \",\" c-{name} )* )? \"]\" ) \"}}\"\n",
        lit(&format!("\"{}\"", d.code)),
        lit(",\"customizations\":["),
    ));
    // Each component with its included amount (context the decoder writes for the model).
    let components: Vec<String> = d
        .components
        .iter()
        .map(|c| {
            lit(&format!(
                "\"{}\"{}",
                c.code,
                after_component_code(c.default_quantity)
            ))
        })
        .collect();
    g.push_str(&format!(
        "c-{name} ::= {} ( {} ) cqty \"}}\"\n",
        lit("{\"component\":"),
        components.join(" | "),
    ));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_is_in_the_grammar() {
        let menu = crate::seeded_menu();
        let g = analysis_grammar(&menu);
        assert!(g.starts_with("root ::= "));
        assert!(g.contains(r#"s-champagne-feast ::= ( ",\"removed\":false" )? ",\"style\":" ( "null" | "\"grand\"" | "\"deluxe\"" )"#), "{g}");
        assert!(
            g.contains(r#"l-chicken ::= "\"chicken\"" ( ",\"removed\":true" | s-chicken"#),
            "{g}"
        );
        assert!(g.contains(r#""\"soy_garlic\"""#));
        assert!(
            g.contains(r#"sides ::= "\"fries\":" cqty "," "\"salad\":" cqty"#),
            "{g}"
        );
        assert!(
            g.contains(r#"c-english ::= "{\"component\":" ( "\"scrambled_eggs\",\"included\":1,\"quantity\":" | "\"bacon\",\"included\":2,\"quantity\":""#),
            "{g}"
        );
    }
}
