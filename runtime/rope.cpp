#include "runtime/rope.h"

#include <cmath>

namespace harness {

at::Tensor rope_inv_freq(const model_config& c) {
  int64_t dim = c.head_dim;
  at::Tensor exponents = at::arange(0, dim, 2, at::kLong).to(at::kFloat) / static_cast<double>(dim);
  at::Tensor inv_freq = 1.0 / at::pow(c.rope_theta, exponents);  // [dim/2]
  if (!c.rope_scaling) return inv_freq;
  const rope_scaling_config& s = *c.rope_scaling;
  if (s.type == "linear") return inv_freq / s.factor;
  // llama3: long wavelengths divided by factor, short ones kept, the band between interpolated smoothly.
  double old_context = static_cast<double>(s.original_max_position_embeddings);
  double low_freq_wavelen = old_context / s.low_freq_factor;
  double high_freq_wavelen = old_context / s.high_freq_factor;
  at::Tensor wavelen = 2 * M_PI / inv_freq;
  at::Tensor scaled = at::where(wavelen > low_freq_wavelen, inv_freq / s.factor, inv_freq);
  at::Tensor smooth = (old_context / wavelen - s.low_freq_factor) / (s.high_freq_factor - s.low_freq_factor);
  at::Tensor smoothed = (1 - smooth) * scaled / s.factor + smooth * scaled;
  at::Tensor medium = (wavelen >= high_freq_wavelen) & (wavelen <= low_freq_wavelen);
  return at::where(medium, smoothed, scaled);
}

std::pair<at::Tensor, at::Tensor> rope_cos_sin(const at::Tensor& inv_freq, const at::Tensor& position_ids,
                                               at::ScalarType dtype) {
  at::Tensor freqs = position_ids.to(at::kFloat).unsqueeze(-1) * inv_freq.to(position_ids.device());  // [B, T, hd/2]
  at::Tensor angles = at::cat({freqs, freqs}, -1);                                                  // [B, T, hd]
  return {angles.cos().to(dtype), angles.sin().to(dtype)};
}

at::Tensor apply_rope(const at::Tensor& x, const at::Tensor& cos, const at::Tensor& sin) {
  int64_t half = x.size(-1) / 2;
  at::Tensor rotated = at::cat({-x.narrow(-1, half, half), x.narrow(-1, 0, half)}, -1);
  return x * cos.unsqueeze(1) + rotated * sin.unsqueeze(1);
}

at::Tensor interleaved_to_rotate_half(const at::Tensor& weight, int64_t heads) {
  int64_t rows = weight.size(0), in = weight.size(1), hs = rows / heads;
  // [heads, hs/2, 2, in] (pair j, member c) -> [heads, 2, hs/2, in] (half c, index j)
  return weight.reshape({heads, hs / 2, 2, in}).transpose(1, 2).reshape({rows, in}).contiguous();
}

}  // namespace harness
