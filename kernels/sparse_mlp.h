// sparse_mlp.h: the MLP of one decoder layer computed from a subset of its neurons (DejaVu's sparse MLP),
// for decode and small batches. Shapes: N tokens, d hidden size, F MLP width, K kept neurons.
//
//   Llama (SwiGLU): y = sum_{f in kept} SiLU(gate_f . x + bg_f) * (up_f . x + bu_f) * down[:, f]  + b_down
//   OPT (ReLU):     y = sum_{f in kept} ReLU(fc1_f . x + b1_f) * fc2[:, f]                          + b2
//
// Weights are prepared once so that every neuron's input and output weights are contiguous rows: the
// output projection is stored transposed ([F, d]), as DejaVu's gather-GEMV stores fc2. Three variants
// compute the same thing: a libtorch reference (index_select + matmul), an optimised CPU kernel (a
// loop over the kept rows, fp32 accumulation), and a CUDA kernel (only in builds with HARNESS_CUDA).
#pragma once
#include <ATen/ATen.h>

namespace harness {

enum class mlp_kind { swiglu, relu };

struct sparse_mlp_weights {
  mlp_kind kind = mlp_kind::swiglu;
  at::Tensor w_in;     // [F, d] gate_proj (Llama) or fc1 (OPT), in the model's dtype
  at::Tensor w_up;     // [F, d] up_proj (Llama only)
  at::Tensor w_out_t;  // [F, d] down_proj^T or fc2^T (row f = neuron f's output column)
  at::Tensor b_in;     // [F] float32: gate bias or fc1 bias; undefined when the model has none
  at::Tensor b_up;     // [F] float32: up bias (Llama with mlp_bias); undefined otherwise
  at::Tensor b_out;    // [d] float32: down bias or fc2 bias; undefined when the model has none

  int64_t width() const { return w_in.size(0); }   // F
  int64_t hidden() const { return w_in.size(1); }  // d
};

// From the checkpoint layout (down/fc2 [d, F]); biases may be undefined. Copies the weights once.
sparse_mlp_weights prepare_llama_mlp(const at::Tensor& gate, const at::Tensor& up, const at::Tensor& down,
                                     const at::Tensor& gate_bias = {}, const at::Tensor& up_bias = {},
                                     const at::Tensor& down_bias = {});
sparse_mlp_weights prepare_opt_mlp(const at::Tensor& fc1, const at::Tensor& fc1_bias, const at::Tensor& fc2,
                                   const at::Tensor& fc2_bias);

// Throws harness_error unless kept is a 1-D int64 tensor of strictly ascending indices in [0, width).
void check_kept_neurons(const at::Tensor& kept, int64_t width);
// Also checks x: last dimension d, the weights' dtype and device. Every variant calls it first.
void check_sparse_mlp_inputs(const sparse_mlp_weights& w, const at::Tensor& x, const at::Tensor& kept);

// x [.., d] in the weights' dtype and device, kept [K] int64 -> [.., d] in the weights' dtype.
// No kept neuron gives the output bias (or zeros); all kept gives the dense MLP.
at::Tensor sparse_mlp_reference(const sparse_mlp_weights& w, const at::Tensor& x, const at::Tensor& kept);
// The CPU loops exist for the build's baseline ISA and (x86-64) for AVX2+FMA; `best` picks AVX2+FMA when
// the CPU has it. Tests pass `baseline` to check both builds of the loops.
enum class cpu_loops { best, baseline };
at::Tensor sparse_mlp_cpu(const sparse_mlp_weights& w, const at::Tensor& x, const at::Tensor& kept,
                          cpu_loops loops = cpu_loops::best);
// Throws harness_error in builds without HARNESS_CUDA (see sparse_mlp_cuda_built()).
at::Tensor sparse_mlp_cuda(const sparse_mlp_weights& w, const at::Tensor& x, const at::Tensor& kept);
bool sparse_mlp_cuda_built();

}  // namespace harness
