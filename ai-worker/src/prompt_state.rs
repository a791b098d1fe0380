//! The evaluated menu prompt saved to disk (llama.cpp's state file), so that a restarted worker
//! loads its KV cache in a moment instead of evaluating thousands of prompt tokens again.
//!
//! A file's name is a hash of everything the cache depends on: [`PROMPT_VERSION`], the model
//! file (name, size, modification time), the context size, the GPU layers and the prompt's
//! tokens. A new menu or prompt therefore gives a new name; the tokens stored in the file are
//! compared with the prompt's as well, so even a hash collision cannot serve a wrong prompt.

use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use llama_cpp_2::token::LlamaToken;

/// Bump when the decoder reads the cached prefix differently (the tokens alone do not show it).
pub const PROMPT_VERSION: u32 = 1;

/// Where saved prompt states live, and the identity of the model they belong to.
#[derive(Debug, Clone)]
pub struct PromptStateStore {
    dir: PathBuf,
    identity: String,
}

impl PromptStateStore {
    /// A store in `dir` for the model at `model_path`, run with `context_tokens` and
    /// `gpu_layers`. Fails when the model file cannot be read (it is about to be loaded anyway).
    pub fn new(
        dir: PathBuf,
        model_path: &Path,
        context_tokens: u32,
        gpu_layers: u32,
    ) -> std::io::Result<Self> {
        let meta = std::fs::metadata(model_path)?;
        let modified = meta
            .modified()?
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let name = model_path
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        let identity = format!(
            "v{PROMPT_VERSION}|{name}|{}|{modified}|ctx{context_tokens}|gpu{gpu_layers}",
            meta.len()
        );
        Ok(PromptStateStore { dir, identity })
    }

    /// The file that holds (or will hold) the state after evaluating `tokens`.
    pub fn path_for(&self, tokens: &[LlamaToken]) -> PathBuf {
        let mut hash = Fnv1a::default();
        hash.write(self.identity.as_bytes());
        for t in tokens {
            hash.write(&t.0.to_le_bytes());
        }
        self.dir.join(format!("prompt-{:016x}.state", hash.0))
    }

    /// A private name beside `path` to write to before the atomic rename, so that a reader (a
    /// second worker starting) never sees half a file.
    pub fn temporary_for(path: &Path) -> PathBuf {
        path.with_extension(format!("state.{}.partial", std::process::id()))
    }
}

/// FNV-1a, 64 bits: stable across Rust versions and machines, unlike `DefaultHasher`.
struct Fnv1a(u64);

impl Default for Fnv1a {
    fn default() -> Self {
        Fnv1a(0xcbf2_9ce4_8422_2325)
    }
}

impl Fnv1a {
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store(dir: &Path, model: &Path) -> PromptStateStore {
        PromptStateStore::new(dir.to_path_buf(), model, 4096, 0).expect("model file readable")
    }

    #[test]
    fn the_name_follows_the_tokens_the_model_and_the_context() {
        let dir = std::env::temp_dir().join(format!("prompt-state-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let model = dir.join("model.gguf");
        std::fs::write(&model, b"GGUF one").unwrap();
        let a = store(&dir, &model);
        let tokens = [LlamaToken(1), LlamaToken(2)];
        assert_eq!(a.path_for(&tokens), a.path_for(&tokens));
        assert_ne!(a.path_for(&tokens), a.path_for(&[LlamaToken(1)]));
        assert_ne!(
            a.path_for(&tokens),
            a.path_for(&[LlamaToken(2), LlamaToken(1)])
        );
        let other_ctx = PromptStateStore::new(dir.clone(), &model, 2048, 0).unwrap();
        assert_ne!(a.path_for(&tokens), other_ctx.path_for(&tokens));
        // Another model file (here: another size) never shares a state.
        std::fs::write(&model, b"GGUF second").unwrap();
        assert_ne!(a.path_for(&tokens), store(&dir, &model).path_for(&tokens));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn fnv1a_matches_the_reference_values() {
        let mut h = Fnv1a::default();
        h.write(b"a");
        assert_eq!(h.0, 0xaf63_dc4c_8601_ec8c);
    }
}
