#!/usr/bin/env python3
"""Converts a CTranslate2 Whisper model (faster-whisper's format) to whisper.cpp's ggml file.

The registries ship Whisper only in CTranslate2's format, while whisper.cpp loads its own ggml
format, so scripts/models.sh runs this once. Only numpy is needed; no CTranslate2 or torch.

Usage: convert_whisper_ct2.py CT2_MODEL_DIR OUTPUT
  CT2_MODEL_DIR holds model.bin, config.json, tokenizer.json and vocabulary.txt
  (the layout of faster-whisper's model directories).
"""

import json
import math
import os
import struct
import sys

import numpy as np

GGML_MAGIC = 0x67676D6C  # "ggml", as whisper.cpp reads it (little-endian uint32)
GGML_F32, GGML_F16 = 0, 1

# CTranslate2 DataType ids (ctranslate2/types.h) -> numpy dtypes. bfloat16 (5) has no numpy
# equivalent and Whisper checkpoints do not use it.
CT2_DTYPES = {0: "<f4", 1: "i1", 2: "<i2", 3: "<i4", 4: "<f2"}


def read_ct2(path):
    """Parses CTranslate2's model.bin (binary format version 6) into {name: numpy array}."""
    with open(path, "rb") as f:
        data = f.read()
    pos = 0

    def take(fmt):
        nonlocal pos
        values = struct.unpack_from("<" + fmt, data, pos)
        pos += struct.calcsize("<" + fmt)
        return values

    def string():
        nonlocal pos
        (n,) = take("H")  # the length counts the trailing NUL
        s = data[pos : pos + n - 1].decode("utf-8")
        pos += n
        return s

    (version,) = take("I")
    if version != 6:  # older versions stored dtypes differently; 6 is what converters write now
        sys.exit(f"unsupported CTranslate2 binary version {version}")
    spec = string()
    (_revision,) = take("I")
    if spec != "WhisperSpec":
        sys.exit(f"expected a WhisperSpec model, got {spec!r}")

    variables = {}
    (count,) = take("I")
    for _ in range(count):
        name = string()
        (rank,) = take("B")
        shape = take("I" * rank)
        (dtype_id,) = take("B")
        (nbytes,) = take("I")
        if dtype_id not in CT2_DTYPES:
            sys.exit(f"{name}: unsupported CTranslate2 dtype {dtype_id}")
        dtype = np.dtype(CT2_DTYPES[dtype_id])
        array = np.frombuffer(data, dtype=dtype, count=nbytes // dtype.itemsize, offset=pos)
        variables[name] = array.reshape(shape)
        pos += nbytes

    # Aliases name shared weights (Whisper's output projection is the token embedding).
    (aliases,) = take("I")
    for _ in range(aliases):
        alias, target = string(), string()
        variables[alias] = variables[target]
    if pos != len(data):
        sys.exit(f"{len(data) - pos} unexpected bytes after the aliases")
    return variables


def slaney_mel_filters(sr=16000, n_fft=400, n_mels=80):
    """The mel filterbank Whisper was trained with: librosa.filters.mel(sr, n_fft, n_mels)
    (Slaney mel scale, Slaney area normalisation). Returns float32 [n_mels, 1 + n_fft // 2]."""
    f_sp = 200.0 / 3  # linear part: 3 mels per 200 Hz below 1 kHz
    min_log_hz = 1000.0
    min_log_mel = min_log_hz / f_sp
    logstep = math.log(6.4) / 27.0

    def hz_to_mel(hz):
        return hz / f_sp if hz < min_log_hz else min_log_mel + math.log(hz / min_log_hz) / logstep

    def mel_to_hz(mel):
        return f_sp * mel if mel < min_log_mel else min_log_hz * math.exp(logstep * (mel - min_log_mel))

    # Python's math (libm) for the 82 band edges keeps the result independent of numpy's SIMD
    # paths, so the output file's checksum is reproducible; the rest is plain IEEE arithmetic.
    top = hz_to_mel(sr / 2)
    mel_f = np.array([mel_to_hz(m) for m in np.linspace(0, top, n_mels + 2)])
    fft_freqs = np.linspace(0, sr / 2, 1 + n_fft // 2)

    fdiff = np.diff(mel_f)
    ramps = mel_f[:, None] - fft_freqs[None, :]
    lower = -ramps[:-2] / fdiff[:-1, None]
    upper = ramps[2:] / fdiff[1:, None]
    # librosa rounds the triangles to float32 before normalising; doing the same reproduces
    # Whisper's own mel_filters.npz bit for bit.
    weights = np.maximum(0, np.minimum(lower, upper)).astype(np.float32)
    weights *= (2.0 / (mel_f[2:] - mel_f[:-2]))[:, None]
    return weights


def byte_decoder():
    """Inverse of GPT-2's bytes_to_unicode: byte-level BPE tokens are spelled with printable
    stand-ins for every byte, and whisper.cpp wants the raw bytes."""
    printable = [
        *range(ord("!"), ord("~") + 1),
        *range(ord("¡"), ord("¬") + 1),
        *range(ord("®"), ord("ÿ") + 1),
    ]
    codepoints = printable[:]
    extra = 0
    for b in range(256):
        if b not in printable:
            printable.append(b)
            codepoints.append(256 + extra)
            extra += 1
    return {chr(c): b for b, c in zip(printable, codepoints, strict=True)}


def bpe_vocabulary(model_dir, n_vocab):
    """The plain BPE tokens (the ids below <|endoftext|>) as raw bytes.

    whisper.cpp derives every special token id (<|endoftext|>, languages, timestamps) from
    n_vocab and names them itself, exactly as with the official ggml files (which list 50257
    tokens for the multilingual models), so the special tokens are not written. What is
    checked here is that this model's special tokens sit where whisper.cpp will look for them.
    """
    with open(os.path.join(model_dir, "tokenizer.json"), encoding="utf-8") as f:
        tokenizer = json.load(f)
    with open(os.path.join(model_dir, "config.json"), encoding="utf-8") as f:
        config = json.load(f)
    # CTranslate2 indexes its embedding rows by vocabulary.txt, one token per line.
    with open(os.path.join(model_dir, "vocabulary.txt"), encoding="utf-8") as f:
        ct2_vocab = f.read().split("\n")
    if ct2_vocab and ct2_vocab[-1] == "":
        ct2_vocab.pop()
    if len(ct2_vocab) != n_vocab:
        sys.exit(f"vocabulary.txt has {len(ct2_vocab)} tokens, the model {n_vocab}")

    special = {t["content"]: t["id"] for t in tokenizer["added_tokens"] if t["special"]}
    multilingual = n_vocab >= 51865
    eot = 50257 if multilingual else 50256  # whisper.cpp's rule (whisper_vocab)
    n_languages = n_vocab - 51765 - (1 if multilingual else 0)
    expected = {
        "<|endoftext|>": eot,
        "<|startoftranscript|>": eot + 1,
        "<|notimestamps|>": eot + n_languages + 7,
    }
    for token, i in expected.items():
        if special.get(token) != i or ct2_vocab[i] != token:
            sys.exit(f"{token} is not at id {i}, where whisper.cpp expects it")
    if config["lang_ids"] != list(range(eot + 2, eot + 2 + n_languages)):
        sys.exit("config.json: language token ids differ from whisper.cpp's")

    by_id = {i: token for token, i in tokenizer["model"]["vocab"].items() if i < eot}
    if sorted(by_id) != list(range(eot)) or any(ct2_vocab[i] != t for i, t in by_id.items()):
        sys.exit("tokenizer.json and vocabulary.txt disagree on the BPE tokens")
    decode = byte_decoder()
    return [bytes(decode[c] for c in by_id[i]) for i in range(eot)]


def split_rows(matrix, parts):
    """CTranslate2 fuses projections by stacking their output rows ([q; k; v])."""
    return np.split(matrix, parts, axis=0)


def ggml_tensors(v):
    """Yields (whisper.cpp name, array, ggml type) in whisper.cpp's layout.

    whisper.cpp checks each tensor's type: 2-D weight matrices and the conv kernels are F16
    (file ftype 1), everything else (biases, norms, positional embeddings) is F32.
    """

    def f16(a):
        return a.astype("<f2"), GGML_F16

    def f32(a):
        return a.astype("<f4"), GGML_F32

    def attention(prefix, src, fused_qkv):
        if fused_qkv:  # self-attention: linear_0 = [q; k; v], linear_1 = out
            q_w, k_w, v_w = split_rows(v[f"{src}/linear_0/weight"], 3)
            q_b, k_b, v_b = split_rows(v[f"{src}/linear_0/bias"], 3)
            out = f"{src}/linear_1"
        else:  # cross-attention: linear_0 = q, linear_1 = [k; v], linear_2 = out
            q_w, q_b = v[f"{src}/linear_0/weight"], v[f"{src}/linear_0/bias"]
            k_w, v_w = split_rows(v[f"{src}/linear_1/weight"], 2)
            k_b, v_b = split_rows(v[f"{src}/linear_1/bias"], 2)
            out = f"{src}/linear_2"
        # Whisper's key projection has no bias; CTranslate2 stores zeros in its place.
        if np.any(k_b):
            sys.exit(f"{src}: non-zero key bias cannot be represented in whisper.cpp")
        yield f"{prefix}.query.weight", *f16(q_w)
        yield f"{prefix}.query.bias", *f32(q_b)
        yield f"{prefix}.key.weight", *f16(k_w)
        yield f"{prefix}.value.weight", *f16(v_w)
        yield f"{prefix}.value.bias", *f32(v_b)
        yield f"{prefix}.out.weight", *f16(v[f"{out}/weight"])
        yield f"{prefix}.out.bias", *f32(v[f"{out}/bias"])

    def norm(name, src):
        yield f"{name}.weight", *f32(v[f"{src}/gamma"])
        yield f"{name}.bias", *f32(v[f"{src}/beta"])

    def mlp(prefix, src):
        yield from norm(f"{prefix}.mlp_ln", f"{src}/layer_norm")
        for ct2, ggml in (("linear_0", "mlp.0"), ("linear_1", "mlp.2")):
            yield f"{prefix}.{ggml}.weight", *f16(v[f"{src}/{ct2}/weight"])
            yield f"{prefix}.{ggml}.bias", *f32(v[f"{src}/{ct2}/bias"])

    yield "encoder.positional_embedding", *f32(v["encoder/position_encodings/encodings"])
    for conv in ("conv1", "conv2"):
        # [out, in, kernel] as in PyTorch; whisper.cpp wants the bias as [out, 1].
        yield f"encoder.{conv}.weight", *f16(v[f"encoder/{conv}/weight"])
        yield f"encoder.{conv}.bias", *f32(v[f"encoder/{conv}/bias"].reshape(-1, 1))
    for i in range(count_layers(v, "encoder")):
        src, dst = f"encoder/layer_{i}", f"encoder.blocks.{i}"
        yield from norm(f"{dst}.attn_ln", f"{src}/self_attention/layer_norm")
        yield from attention(f"{dst}.attn", f"{src}/self_attention", fused_qkv=True)
        yield from mlp(dst, f"{src}/ffn")
    yield from norm("encoder.ln_post", "encoder/layer_norm")

    yield "decoder.positional_embedding", *f32(v["decoder/position_encodings/encodings"])
    yield "decoder.token_embedding.weight", *f16(v["decoder/embeddings/weight"])
    for i in range(count_layers(v, "decoder")):
        src, dst = f"decoder/layer_{i}", f"decoder.blocks.{i}"
        yield from norm(f"{dst}.attn_ln", f"{src}/self_attention/layer_norm")
        yield from attention(f"{dst}.attn", f"{src}/self_attention", fused_qkv=True)
        yield from norm(f"{dst}.cross_attn_ln", f"{src}/attention/layer_norm")
        yield from attention(f"{dst}.cross_attn", f"{src}/attention", fused_qkv=False)
        yield from mlp(dst, f"{src}/ffn")
    yield from norm("decoder.ln", "decoder/layer_norm")


def count_layers(v, stack):
    n = 0
    while f"{stack}/layer_{n}/ffn/linear_0/weight" in v:
        n += 1
    return n


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__[__doc__.index("Usage:") :].rstrip())
    model_dir, output = sys.argv[1:]

    v = read_ct2(os.path.join(model_dir, "model.bin"))
    if v["decoder/embeddings/weight"] is not v["decoder/projection/weight"]:
        sys.exit("expected the output projection to share the token embedding")
    n_vocab, n_text_state = v["decoder/embeddings/weight"].shape
    n_audio_ctx, n_audio_state = v["encoder/position_encodings/encodings"].shape
    n_text_ctx = v["decoder/position_encodings/encodings"].shape[0]
    n_mels = v["encoder/conv1/weight"].shape[1]
    hparams = [
        n_vocab,
        n_audio_ctx,
        n_audio_state,
        int(v["encoder/num_heads"]),
        count_layers(v, "encoder"),
        n_text_ctx,
        n_text_state,
        int(v["decoder/num_heads"]),
        count_layers(v, "decoder"),
        n_mels,
        GGML_F16,  # ftype: the big matrices are F16
    ]
    if n_mels != 80:
        sys.exit(f"only 80-mel models are supported (got {n_mels}); large-v3 uses 128")
    filters = slaney_mel_filters(n_mels=n_mels)
    tokens = bpe_vocabulary(model_dir, n_vocab)

    count = 0
    with open(output, "wb") as out:
        out.write(struct.pack("<I", GGML_MAGIC))
        out.write(struct.pack("<11i", *hparams))
        out.write(struct.pack("<2i", *filters.shape))
        out.write(filters.astype("<f4").tobytes())
        out.write(struct.pack("<i", len(tokens)))
        for token in tokens:
            out.write(struct.pack("<I", len(token)))
            out.write(token)
        for name, array, ggml_type in ggml_tensors(v):
            encoded = name.encode("utf-8")
            # ggml lists dimensions fastest-varying first: the numpy shape reversed.
            out.write(struct.pack("<3i", array.ndim, len(encoded), ggml_type))
            out.write(struct.pack(f"<{array.ndim}i", *reversed(array.shape)))
            out.write(encoded)
            out.write(np.ascontiguousarray(array).tobytes())
            count += 1
    print(f"wrote {output}: {count} tensors, {len(tokens)} tokens, hparams {hparams}", file=sys.stderr)


if __name__ == "__main__":
    main()
