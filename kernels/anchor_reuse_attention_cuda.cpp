// anchor_reuse_attention_cuda.cpp: checks the tensors of the CUDA anchor/reuse attention, calls its raw-pointer
// launcher (anchor_reuse_attention_cuda.cu) on the current stream, and for an anchor picks the tiles from the
// masses it returns (select_tiles, on the device). Compiled only with HARNESS_CUDA.
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>

#include "kernels/anchor_reuse_attention.h"
#include "kernels/anchor_reuse_attention_cuda_launch.h"
#include "runtime/error.h"

namespace harness {

namespace {

// Attention of every head over tiles[head_map[h]] (or tiles[h] when head_map is undefined); fills mass
// [H, m] when it is defined. Returns [T, H, hd] float32.
at::Tensor attend_cuda(const anchor_reuse_step& s, const at::Tensor& tiles, const at::Tensor& head_map,
                       const at::Tensor& mass) {
  const at::Device& device = s.q.device();
  if (!device.is_cuda()) fail("anchor/reuse attention (CUDA): input is on {}", device.str());
  const c10::cuda::CUDAGuard on_device(device);  // launch on the input's GPU
  at::Tensor q = s.q.contiguous(), k = s.k.contiguous(), v = s.v.contiguous();
  at::Tensor t = tiles.to(device).contiguous();
  at::Tensor map = head_map.defined() ? head_map.to(device).contiguous() : at::Tensor();
  auto f32 = q.options().dtype(at::kFloat);
  int64_t heads = q.size(1), kept = t.size(1);
  at::Tensor scores = at::empty({heads, q.size(0), kept * s.tile}, f32);
  at::Tensor out = at::empty(q.sizes(), f32);

  anchor_reuse_attention_cuda_launch::args a;
  a.bf16 = q.scalar_type() == at::kBFloat16;
  a.t = q.size(0);
  a.heads = heads;
  a.kv_heads = k.size(0);
  a.n = k.size(1);
  a.hd = q.size(2);
  a.tile = s.tile;
  a.kept = kept;
  a.scale = static_cast<float>(s.score_scale);
  a.q = q.data_ptr();
  a.k = k.data_ptr();
  a.v = v.data_ptr();
  a.tiles = t.data_ptr<int64_t>();
  a.head_map = map.defined() ? map.data_ptr<int64_t>() : nullptr;
  a.scores = scores.data_ptr<float>();
  a.out = out.data_ptr<float>();
  a.mass = mass.defined() ? mass.data_ptr<float>() : nullptr;
  a.stream = c10::cuda::getCurrentCUDAStream(device.index()).stream();
  if (const char* error = anchor_reuse_attention_cuda_launch::launch(a))
    fail("anchor/reuse attention (CUDA): launch failed: {}", error);
  return out;
}

}  // namespace

anchor_output anchor_attention_cuda(const anchor_reuse_step& s, int64_t top_k) {
  check_anchor_top_k(s, top_k);
  int64_t heads = s.q.size(1), n = s.k.size(1), nt = tile_count(n, s.tile);
  auto long_options = s.q.options().dtype(at::kLong);
  at::Tensor all = at::arange(nt, long_options).unsqueeze(0).expand({heads, nt}).contiguous();  // [H, nt]
  at::Tensor mass = at::zeros({heads, nt}, s.q.options().dtype(at::kFloat));
  at::Tensor out = attend_cuda(s, all, at::Tensor(), mass);
  at::Tensor keep = select_tiles(mass.unsqueeze(0), at::full({1}, (n - s.q.size(0)) / s.tile, long_options),
                                 at::full({1}, nt - 1, long_options), top_k)[0];  // [H, nt]
  return {out.to(s.q.scalar_type()), keep.nonzero().select(1, 1).reshape({heads, top_k})};
}

at::Tensor reuse_attention_cuda(const anchor_reuse_step& s, const at::Tensor& tiles, const at::Tensor& head_map) {
  check_reuse_selection(s, tiles, head_map);
  return attend_cuda(s, tiles, head_map, at::Tensor()).to(s.q.scalar_type());
}

}  // namespace harness
