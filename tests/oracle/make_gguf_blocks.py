"""Write a GGUF file (with gguf-py's own writer) holding one tensor of each ggml type the harness
dequantises, and gguf-py's dequantisation of each (gguf.quants.dequantize) as float32 in a safetensors
file, for tests/test_gguf_oracle.cpp to compare against the harness's reader and dequantiser.

F32/F16/BF16/Q8_0/Q4_0/Q4_1/Q5_0/Q5_1 blocks are quantised from random values by gguf-py; gguf-py has no
quantiser for Q4_K/Q5_K/Q6_K, so their blocks are random bytes with finite float16 scales written in.
The file also carries one metadata value of every GGUF value type (checked by the C++ test).
Everything comes from --seed; nothing is downloaded.
"""
import argparse
import os

import gguf
import numpy as np
from gguf import GGMLQuantizationType as T
from safetensors.numpy import save_file

ROWS, COLS = 6, 512  # COLS is a multiple of 256, the k-quant super-block


def random_k_blocks(rng, qtype, scale_offsets):
    """Random super-blocks of `qtype` with float16 scales in [-0.05, 0.05] at `scale_offsets`."""
    block_elems, block_bytes = gguf.GGML_QUANT_SIZES[qtype]
    blocks = rng.integers(0, 256, size=(ROWS * COLS // block_elems, block_bytes), dtype=np.uint8)
    for offset in scale_offsets:
        scales = rng.uniform(-0.05, 0.05, size=blocks.shape[0]).astype(np.float16)
        blocks[:, offset:offset + 2] = scales.view(np.uint8).reshape(-1, 2)
    return blocks.reshape(ROWS, -1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=20261202)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    rng = np.random.default_rng(args.seed)

    values = rng.standard_normal((ROWS, COLS)).astype(np.float32)
    values[0, :4] = [0.0, -0.0, 6.0e-8, -3.0e-5]  # zeros and float16 subnormals
    tensors = {
        "f32": (values, None),
        "f16": (values.astype(np.float16), None),
        "bf16": (gguf.quants.quantize(values, T.BF16), T.BF16),
    }
    for name, qtype in [("q8_0", T.Q8_0), ("q4_0", T.Q4_0), ("q4_1", T.Q4_1), ("q5_0", T.Q5_0), ("q5_1", T.Q5_1)]:
        tensors[name] = (gguf.quants.quantize(values, qtype), qtype)
    tensors["q4_k"] = (random_k_blocks(rng, T.Q4_K, [0, 2]), T.Q4_K)  # d, dmin
    tensors["q5_k"] = (random_k_blocks(rng, T.Q5_K, [0, 2]), T.Q5_K)  # d, dmin
    tensors["q6_k"] = (random_k_blocks(rng, T.Q6_K, [208]), T.Q6_K)   # d after ql, qh, scales

    writer = gguf.GGUFWriter(os.path.join(args.out, "blocks.gguf"), arch="test")
    writer.add_uint8("test.u8", 200)
    writer.add_int8("test.i8", -100)
    writer.add_uint16("test.u16", 60000)
    writer.add_int16("test.i16", -30000)
    writer.add_uint32("test.u32", 4000000000)
    writer.add_int32("test.i32", -2000000000)
    writer.add_float32("test.f32", 0.25)
    writer.add_bool("test.bool", True)
    writer.add_string("test.string", "caf\u00e9 \u2581")
    writer.add_uint64("test.u64", 2**63 + 5)
    writer.add_int64("test.i64", -(2**62))
    writer.add_float64("test.f64", -1.5e300)
    writer.add_array("test.strings", ["a", "", "bc"])
    writer.add_array("test.ints", [1, -2, 3])
    expected = {}
    for name, (data, qtype) in tensors.items():
        writer.add_tensor(name, data, raw_dtype=qtype)
        expected[name] = np.ascontiguousarray(
            data.astype(np.float32) if qtype is None else gguf.quants.dequantize(data, qtype))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    save_file(expected, os.path.join(args.out, "expected.safetensors"))


if __name__ == "__main__":
    main()
