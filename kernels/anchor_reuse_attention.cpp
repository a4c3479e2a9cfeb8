// anchor_reuse_attention.cpp: tile selection, input checks and the libtorch reference of anchor/reuse
// sparse attention.
#include "kernels/anchor_reuse_attention.h"

#include <limits>

#include "runtime/error.h"
#include "runtime/tensor_util.h"

namespace harness {

namespace {

int64_t first_new_tile(const anchor_reuse_step& s) { return (s.k.size(1) - s.q.size(0)) / s.tile; }
int64_t last_tile(const anchor_reuse_step& s) { return (s.k.size(1) - 1) / s.tile; }

// One head's attention over the keys `keys` [m] (ascending positions): [T, hd] float32 output and the
// probabilities [T, m] (zero where a query may not see a key).
std::pair<at::Tensor, at::Tensor> attend_reference(const anchor_reuse_step& s, int64_t h, const at::Tensor& keys) {
  int64_t t = s.q.size(0), n = s.k.size(1), group = s.q.size(1) / s.k.size(0);
  at::Tensor kh = s.k[h / group].index_select(0, keys).to(at::kFloat);  // [m, hd]
  at::Tensor vh = s.v[h / group].index_select(0, keys).to(at::kFloat);  // [m, hd]
  at::Tensor qh = s.q.select(1, h).to(at::kFloat);                      // [T, hd]
  at::Tensor scores = at::matmul(qh, kh.t()) * s.score_scale;           // [T, m]
  at::Tensor query_pos = at::arange(n - t, n, keys.options()).unsqueeze(1);   // [T, 1]
  scores = scores.masked_fill(keys.unsqueeze(0) > query_pos, -std::numeric_limits<float>::infinity());
  at::Tensor probs = at::softmax(scores, -1);  // [T, m]
  return {at::matmul(probs, vh), probs};
}

}  // namespace

int64_t tile_count(int64_t keys, int64_t tile) { return (keys + tile - 1) / tile; }

at::Tensor tile_mass(const at::Tensor& probs, int64_t tile) {
  int64_t r = probs.size(0), h = probs.size(1), s = probs.size(2), nt = tile_count(s, tile);
  at::Tensor padded = at::constant_pad_nd(probs.to(at::kFloat), {0, nt * tile - s});  // [R, H, nt*tile]
  return padded.view({r, h, nt, tile}).sum(-1);                                       // [R, H, nt]
}

at::Tensor select_tiles(const at::Tensor& mass, const at::Tensor& first_forced, const at::Tensor& last_visible,
                        int64_t top_k) {
  int64_t r = mass.size(0), nt = mass.size(2);
  at::Tensor index = at::arange(nt, mass.options().dtype(at::kLong)).view({1, 1, nt});
  at::Tensor visible = index <= last_visible.to(mass.device()).view({r, 1, 1});               // [R, 1, nt]
  at::Tensor forced = visible & (index >= first_forced.to(mass.device()).view({r, 1, 1}));  // [R, 1, nt]
  float inf = std::numeric_limits<float>::infinity();
  at::Tensor score = at::where(forced, at::full({}, inf, mass.options()),
                               at::where(visible, mass.to(at::kFloat), at::full({}, -inf, mass.options())));
  // A stable descending sort keeps equal scores in index order: ties go to the lower tile.
  at::Tensor order = std::get<1>(at::sort(score, /*stable=*/true, /*dim=*/-1, /*descending=*/true));  // [R, H, nt]
  at::Tensor keep = at::zeros(score.sizes(), mass.options().dtype(at::kBool));
  keep.scatter_(-1, order.narrow(-1, 0, std::min(top_k, nt)), true);
  return keep & visible;
}

void check_anchor_reuse_step(const anchor_reuse_step& s) {
  const at::Tensor &q = s.q, &k = s.k, &v = s.v;
  if (!q.defined() || q.dim() != 3 || q.size(0) < 1)
    fail("anchor/reuse attention: q has shape {}; expected [T >= 1, H, hd]", q.defined() ? shape_str(q.sizes()) : "(none)");
  if (!k.defined() || k.dim() != 3 || k.size(2) != q.size(2) || k.size(0) < 1 || q.size(1) % k.size(0) != 0)
    fail("anchor/reuse attention: k has shape {}; expected [KV, N, {}] with KV dividing {} query heads",
         k.defined() ? shape_str(k.sizes()) : "(none)", q.size(2), q.size(1));
  if (!v.defined() || v.sizes() != k.sizes())
    fail("anchor/reuse attention: v has shape {}; expected k's {}", v.defined() ? shape_str(v.sizes()) : "(none)",
         shape_str(k.sizes()));
  if (k.size(1) < q.size(0))
    fail("anchor/reuse attention: {} keys cannot hold the {} new tokens", k.size(1), q.size(0));
  if (q.scalar_type() != at::kFloat && q.scalar_type() != at::kBFloat16)
    fail("anchor/reuse attention: q must be float32 or bfloat16, got {}", dtype_str(q.scalar_type()));
  for (const at::Tensor* t : {&k, &v})
    if (t->scalar_type() != q.scalar_type() || t->device() != q.device())
      fail("anchor/reuse attention: k and v must be {} on {} like q, got {} on {}", dtype_str(q.scalar_type()),
           q.device().str(), dtype_str(t->scalar_type()), t->device().str());
  if (s.tile <= 0) fail("anchor/reuse attention: tile size must be positive, got {}", s.tile);
}

void check_anchor_top_k(const anchor_reuse_step& s, int64_t top_k) {
  check_anchor_reuse_step(s);
  int64_t nt = tile_count(s.k.size(1), s.tile), forced = last_tile(s) - first_new_tile(s) + 1;
  if (top_k < forced || top_k > nt)
    fail("anchor/reuse attention: top-k {} is not in [{}, {}]: {} keys make {} tiles of {}, {} of them holding the "
         "new tokens",
         top_k, forced, nt, s.k.size(1), nt, s.tile, forced);
}

void check_reuse_selection(const anchor_reuse_step& s, const at::Tensor& tiles, const at::Tensor& head_map) {
  check_anchor_reuse_step(s);
  int64_t nt = tile_count(s.k.size(1), s.tile), heads = s.q.size(1);
  if (!tiles.defined() || tiles.dim() != 2 || tiles.scalar_type() != at::kLong || tiles.size(0) < 1 ||
      tiles.size(1) < 1)
    fail("anchor/reuse attention: tiles must be [anchor heads, k >= 1] int64, got {} {}",
         tiles.defined() ? dtype_str(tiles.scalar_type()) : "(none)", tiles.defined() ? shape_str(tiles.sizes()) : "");
  if (tiles.size(1) > nt)
    fail("anchor/reuse attention: {} tiles per head but {} keys make only {} tiles of {}", tiles.size(1),
         s.k.size(1), nt, s.tile);
  at::Tensor t = tiles.cpu().contiguous();
  const int64_t* p = t.data_ptr<int64_t>();
  int64_t rows = t.size(0), kk = t.size(1), first = first_new_tile(s), last = last_tile(s);
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t j = 0; j < kk; ++j) {
      int64_t tile = p[r * kk + j];
      if (tile < 0 || tile >= nt)
        fail("anchor/reuse attention: tiles[{}][{}] = {} is out of range [0, {})", r, j, tile, nt);
      if (j > 0 && tile <= p[r * kk + j - 1])
        fail("anchor/reuse attention: tiles[{}] must be strictly ascending: {} follows {} at position {}", r, tile,
             p[r * kk + j - 1], j);
    }
    // Ascending and at most the last tile: the row keeps first .. last iff it ends with them.
    if (kk < last - first + 1 || p[r * kk + kk - (last - first + 1)] != first)
      fail("anchor/reuse attention: tiles[{}] must keep the new tokens' tiles {} .. {}", r, first, last);
  }
  if (!head_map.defined() || head_map.dim() != 1 || head_map.scalar_type() != at::kLong || head_map.size(0) != heads)
    fail("anchor/reuse attention: head map must be [{}] int64 (one anchor head per query head), got {} {}", heads,
         head_map.defined() ? dtype_str(head_map.scalar_type()) : "(none)",
         head_map.defined() ? shape_str(head_map.sizes()) : "");
  at::Tensor m = head_map.cpu().contiguous();
  for (int64_t h = 0; h < heads; ++h) {
    int64_t a = m.data_ptr<int64_t>()[h];
    if (a < 0 || a >= rows)
      fail("anchor/reuse attention: head map[{}] = {} is out of range [0, {}) anchor heads", h, a, rows);
  }
}

anchor_output anchor_attention_reference(const anchor_reuse_step& s, int64_t top_k) {
  check_anchor_top_k(s, top_k);
  int64_t heads = s.q.size(1), n = s.k.size(1);
  at::Tensor keys = at::arange(n, s.q.options().dtype(at::kLong));
  std::vector<at::Tensor> outs, probs;
  for (int64_t h = 0; h < heads; ++h) {
    auto [o, p] = attend_reference(s, h, keys);
    outs.push_back(o);
    probs.push_back(p.sum(0));  // [N] summed over the T queries
  }
  at::Tensor mass = tile_mass(at::stack(probs).unsqueeze(0), s.tile);  // [1, H, nt]
  auto long_options = keys.options();
  at::Tensor keep = select_tiles(mass, at::full({1}, first_new_tile(s), long_options),
                                 at::full({1}, last_tile(s), long_options), top_k)[0];  // [H, nt]
  at::Tensor tiles = keep.nonzero().select(1, 1).reshape({heads, top_k});           // row-major: ascending
  return {at::stack(outs, 1).to(s.q.scalar_type()), tiles};                          // [T, H, hd]
}

at::Tensor reuse_attention_reference(const anchor_reuse_step& s, const at::Tensor& tiles, const at::Tensor& head_map) {
  check_reuse_selection(s, tiles, head_map);
  int64_t heads = s.q.size(1), n = s.k.size(1);
  at::Tensor map = head_map.cpu();
  at::Tensor offsets = at::arange(s.tile, tiles.options().device(s.q.device()));
  std::vector<at::Tensor> outs;
  for (int64_t h = 0; h < heads; ++h) {
    at::Tensor chosen = tiles[map[h].item<int64_t>()].to(s.q.device());              // [k]
    at::Tensor keys = (chosen.unsqueeze(1) * s.tile + offsets).flatten();            // [k*tile]
    keys = keys.masked_select(keys < n);                                             // a partial last tile
    outs.push_back(attend_reference(s, h, keys).first);
  }
  return at::stack(outs, 1).to(s.q.scalar_type());  // [T, H, hd]
}

}  // namespace harness
