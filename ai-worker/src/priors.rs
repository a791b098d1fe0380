//! The priors: log-odds that what the utterance names adds to the model's own scores at a
//! decision. They are data, not code: one table, each entry switchable from the environment
//! (`LLM_PRIORS=keep=0,more_cue=0`, or `LLM_PRIORS=off`), so that its effect can be measured
//! by an ablation (`docs/voice-understanding.md`). The model's evidence can overrule each one.

/// Every prior, in log-odds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Priors {
    /// Against "0" of a side dish the utterance names (and for 0 of one ordered but not named):
    /// e^2.5 ≈ 12, so the model overrules it only when quite sure ("감자튀김 빼고").
    pub side_dish: f32,
    /// For "0" of a side dish neither named nor ordered already: the small model mixes up
    /// drinks ("커피 두 잔" became two colas).
    pub unnamed_side_dish: f32,
    /// Against keeping the amount a component the utterance names has now: the small model
    /// often answers "swap the wine for a coffee" or "extra steak" with the amount it has.
    /// From now, not from the included amount: "put the radish back" changes 0 back to 1.
    pub named_component: f32,
    /// For 0 where the words next to a name take it away ("와인은 빼고", "no cola").
    pub removed_cue: f32,
    /// For "now + n" where they ask for more ("베이컨 1줄 더", "an extra strip of bacon"): the
    /// model answered "an extra strip of bacon" with 0 by 4 log-odds, so 4 was too weak.
    pub more_cue: f32,
    /// For the amount a number right next to a component's name sets ("바게트빵은 6개로",
    /// "only two baguettes"): the model answered both with 0.
    pub set_cue: f32,
    /// For now + n where an edit asks for n more dinners ("하나 더 추가할게요", "같은 디너로
    /// 하나 더"): the model alone read "하나 더" as one dinner.
    pub more_dinners: f32,
    /// For a dinner the words name and the order does not have yet, as the dinner of a line
    /// added after the first, and against adding a line when there is none: the small model
    /// copied the first line's dinner ("and throw in a simple french dinner too" added a
    /// second Valentine dinner).
    pub named_line: f32,
    /// For keeping what an edit does not name: dinner, style, quantity, components, and no
    /// new component changes.
    pub keep: f32,
}

impl Default for Priors {
    fn default() -> Self {
        Priors {
            side_dish: 2.5,
            unnamed_side_dish: 6.0,
            named_component: 2.0,
            removed_cue: 4.0,
            more_cue: 7.0,
            set_cue: 5.0,
            more_dinners: 3.0,
            named_line: 6.0,
            keep: 3.0,
        }
    }
}

impl Priors {
    /// No prior at all: the model alone decides.
    pub const OFF: Priors = Priors {
        side_dish: 0.0,
        unnamed_side_dish: 0.0,
        named_component: 0.0,
        removed_cue: 0.0,
        more_cue: 0.0,
        set_cue: 0.0,
        more_dinners: 0.0,
        named_line: 0.0,
        keep: 0.0,
    };

    /// The table with `spec`'s changes: `off`, or comma-separated `name=value` pairs (an
    /// `off,name=value` starts from none). An unknown name or value is an error.
    pub fn parse(spec: &str) -> Result<Priors, String> {
        let mut priors = Priors::default();
        for item in spec.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            if item == "off" {
                priors = Priors::OFF;
                continue;
            }
            let (name, value) = item
                .split_once('=')
                .ok_or_else(|| format!("`{item}` is not name=value"))?;
            let value: f32 = value
                .trim()
                .parse()
                .map_err(|_| format!("`{value}` is not a number (prior {name})"))?;
            *priors
                .get_mut(name.trim())
                .ok_or_else(|| format!("no prior is called `{name}`"))? = value;
        }
        Ok(priors)
    }

    fn get_mut(&mut self, name: &str) -> Option<&mut f32> {
        Some(match name {
            "side_dish" => &mut self.side_dish,
            "unnamed_side_dish" => &mut self.unnamed_side_dish,
            "named_component" => &mut self.named_component,
            "removed_cue" => &mut self.removed_cue,
            "more_cue" => &mut self.more_cue,
            "set_cue" => &mut self.set_cue,
            "more_dinners" => &mut self.more_dinners,
            "named_line" => &mut self.named_line,
            "keep" => &mut self.keep,
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_spec_switches_priors_by_name() {
        assert_eq!(Priors::parse("").unwrap(), Priors::default());
        assert_eq!(Priors::parse("off").unwrap(), Priors::OFF);
        let p = Priors::parse("keep=0, more_cue=1.5").unwrap();
        assert_eq!((p.keep, p.more_cue, p.set_cue), (0.0, 1.5, 5.0));
        assert_eq!(Priors::parse("off,keep=3").unwrap().keep, 3.0);
        assert!(Priors::parse("kepe=0").unwrap_err().contains("kepe"));
        assert!(Priors::parse("keep=x").is_err());
        assert!(Priors::parse("keep").is_err());
    }
}
