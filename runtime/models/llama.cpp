// llama.cpp: LlamaForCausalLM (Llama 2/3.x: RMSNorm, RoPE with llama3 scaling, GQA, SwiGLU MLP), read top
// to bottom as transformers' modeling_llama.py computes it. Shapes: B batch, T new tokens, P cached
// tokens, S = P + T, d hidden, H query heads, KV key/value heads, hd head dim, F MLP width, V vocab.
#include "runtime/models/architectures.h"

#include "runtime/layers.h"
#include "runtime/rope.h"
#include "runtime/speed_path.h"
#include "runtime/weight_binder.h"

namespace harness {

namespace {

struct llama_layer {
  at::Tensor input_layernorm;           // [d]
  at::Tensor q_proj, q_bias;            // [H*hd, d], [H*hd] if attention_bias
  at::Tensor k_proj, k_bias;            // [KV*hd, d]
  at::Tensor v_proj, v_bias;            // [KV*hd, d]
  at::Tensor o_proj, o_bias;            // [d, H*hd]
  at::Tensor post_attention_layernorm;  // [d]
  at::Tensor gate_proj, gate_bias;      // [F, d], [F] if mlp_bias
  at::Tensor up_proj, up_bias;          // [F, d]
  at::Tensor down_proj, down_bias;      // [d, F]
};

class llama_model final : public causal_lm {
 public:
  llama_model(const model_config& config, const std::string& dir, at::ScalarType dtype, const device_placement& placement)
      : causal_lm(config, dtype, placement) {
    const model_config& c = config_;
    weight_binder w = decoder_weight_binder(dir, c, dtype, device());
    int64_t d = c.hidden_size, q_dim = c.num_heads * c.head_dim, kv_dim = c.num_kv_heads * c.head_dim;
    int64_t f = c.intermediate_size;
    embed_tokens_ = c.tie_word_embeddings ? w.get_tied_embedding("embed_tokens.weight", {c.vocab_size, d})
                                          : w.get("embed_tokens.weight", {c.vocab_size, d});
    for (int64_t i = 0; i < c.num_layers; ++i) {
      std::string p = "layers." + std::to_string(i) + ".";
      w.place_on(layer_device(i));
      llama_layer l;
      l.input_layernorm = w.get(p + "input_layernorm.weight", {d});
      l.q_proj = w.get(p + "self_attn.q_proj.weight", {q_dim, d});
      l.k_proj = w.get(p + "self_attn.k_proj.weight", {kv_dim, d});
      l.v_proj = w.get(p + "self_attn.v_proj.weight", {kv_dim, d});
      l.o_proj = w.get(p + "self_attn.o_proj.weight", {d, q_dim});
      l.q_bias = w.get_if(c.attention_bias, p + "self_attn.q_proj.bias", {q_dim});
      l.k_bias = w.get_if(c.attention_bias, p + "self_attn.k_proj.bias", {kv_dim});
      l.v_bias = w.get_if(c.attention_bias, p + "self_attn.v_proj.bias", {kv_dim});
      l.o_bias = w.get_if(c.attention_bias, p + "self_attn.o_proj.bias", {d});
      l.post_attention_layernorm = w.get(p + "post_attention_layernorm.weight", {d});
      l.gate_proj = w.get(p + "mlp.gate_proj.weight", {f, d});
      l.up_proj = w.get(p + "mlp.up_proj.weight", {f, d});
      l.down_proj = w.get(p + "mlp.down_proj.weight", {d, f});
      l.gate_bias = w.get_if(c.mlp_bias, p + "mlp.gate_proj.bias", {f});
      l.up_bias = w.get_if(c.mlp_bias, p + "mlp.up_proj.bias", {f});
      l.down_bias = w.get_if(c.mlp_bias, p + "mlp.down_proj.bias", {d});
      layers_.push_back(std::move(l));
    }
    w.place_on(placement.last());
    norm_ = w.get("norm.weight", {d});
    // A tied head reads the embedding matrix (on the first device); an untied one must be in the checkpoint.
    lm_head_ = c.tie_word_embeddings ? embed_tokens_ : w.get_unprefixed("lm_head.weight", {c.vocab_size, d});
    weights_ = w.bound();
    inv_freq_ = rope_inv_freq(c).to(device());
  }

  forward_output forward(const forward_input& in, const forward_options& opt) override {
    const model_config& c = config_;
    int64_t batch = in.input_ids.size(0), t = in.input_ids.size(1);
    int64_t past = opt.cache ? opt.cache->length() : 0;
    at::Tensor ids = in.input_ids.to(device());
    at::Tensor mask = causal_padding_mask(in.attention_mask, batch, past, t, dtype_, device());  // [B, 1, T, S]
    at::Tensor positions = in.position_ids.defined() ? in.position_ids.to(device())
                                                     : default_positions(in.attention_mask, batch, past, t);
    auto [cos, sin] = rope_cos_sin(inv_freq_, positions, dtype_);  // [B, T, hd] each
    speed_path speed(opt, in, t, c);

    forward_output out;
    at::Tensor h = at::embedding(embed_tokens_, ids);  // [B, T, d]
    if (opt.output_hidden_states) out.hidden_states.push_back(h);
    for (int64_t i = 0; i < c.num_layers; ++i) {
      const llama_layer& l = layers_[i];
      // Into the layer's device: what it reads moves at a device boundary (a no-op within a device).
      const at::Device& here = layer_device(i);
      h = h.to(here);
      mask = mask.to(here);
      cos = cos.to(here);
      sin = sin.to(here);
      // Attention sub-block.
      observe(opt, hook_point::attn_in, i, h);
      at::Tensor x = rms_norm(h, l.input_layernorm, c.rms_norm_eps);  // [B, T, d]
      observe(opt, hook_point::attn_norm, i, x);
      double scale = 1.0 / std::sqrt(static_cast<double>(c.head_dim));
      at::Tensor attn = speed.attention(i, x, cos, sin, scale);  // [B, 1, d], or undefined: computed here
      if (!attn.defined()) {
        at::Tensor q = at::linear(x, l.q_proj, l.q_bias).view({batch, t, c.num_heads, c.head_dim}).transpose(1, 2);
        at::Tensor k = at::linear(x, l.k_proj, l.k_bias).view({batch, t, c.num_kv_heads, c.head_dim}).transpose(1, 2);
        at::Tensor v = at::linear(x, l.v_proj, l.v_bias).view({batch, t, c.num_kv_heads, c.head_dim}).transpose(1, 2);
        q = apply_rope(q, cos, sin);  // [B, H, T, hd]
        k = apply_rope(k, cos, sin);  // [B, KV, T, hd]
        if (opt.cache) std::tie(k, v) = opt.cache->append(i, k, v);  // [B, KV, S, hd]
        at::Tensor heads = attention(q, k, v, attention_mask_for(opt, i, q, k, mask, scale), scale);  // [B,T,H,hd]
        heads = apply_head_keep(heads, head_keep_for(opt, i, heads), i);
        observe(opt, hook_point::attn_heads, i, heads);
        attn = at::linear(heads.reshape({batch, t, c.num_heads * c.head_dim}), l.o_proj, l.o_bias);
      }
      observe(opt, hook_point::attn_out, i, attn);
      h = h + attn;
      // MLP sub-block.
      observe(opt, hook_point::mlp_in, i, h);
      x = rms_norm(h, l.post_attention_layernorm, c.rms_norm_eps);
      observe(opt, hook_point::mlp_norm, i, x);
      at::Tensor mlp = speed.mlp(i, x);  // [B, 1, d], or undefined: computed here
      if (!mlp.defined()) {
        at::Tensor act = at::silu(at::linear(x, l.gate_proj, l.gate_bias)) * at::linear(x, l.up_proj, l.up_bias);
        act = apply_mlp_keep(act, mlp_keep_for(opt, i, act), i);  // [B, T, F]
        observe(opt, hook_point::mlp_act, i, act);
        mlp = at::linear(act, l.down_proj, l.down_bias);
      }
      observe(opt, hook_point::mlp_out, i, mlp);
      h = h + mlp;
      observe(opt, hook_point::block_out, i, h);
      if (opt.output_hidden_states && i + 1 < c.num_layers) out.hidden_states.push_back(h.to(device()));
    }
    if (opt.cache) opt.cache->advance(t);
    h = rms_norm(h, norm_, c.rms_norm_eps);  // the last layer's device holds the final norm
    if (opt.output_hidden_states) out.hidden_states.push_back(h.to(device()));
    if (opt.last_position_only) h = h.narrow(1, t - 1, 1);
    out.logits = at::linear(h.to(lm_head_.device()), lm_head_).to(device());  // [B, T, V] on the primary device
    return out;
  }

 private:
  // Positions as transformers' generate derives them: cumsum(mask) - 1, padded slots set to 1.
  at::Tensor default_positions(const at::Tensor& attention_mask, int64_t batch, int64_t past, int64_t t) const {
    auto long_options = at::TensorOptions().dtype(at::kLong).device(device());
    if (!attention_mask.defined()) return at::arange(past, past + t, long_options).expand({batch, t});
    at::Tensor m = attention_mask.to(device()).to(at::kLong);
    at::Tensor pos = m.cumsum(1) - 1;
    pos = pos.masked_fill(m == 0, 1);
    return pos.narrow(1, past, t);
  }

  at::Tensor embed_tokens_;  // [V, d] on the first device
  std::vector<llama_layer> layers_;  // layer i on layer_device(i)
  at::Tensor norm_;      // [d] on the last device
  at::Tensor lm_head_;   // [V, d] on the last device (tied: the embedding, on the first)
  at::Tensor inv_freq_;  // [hd/2] float32, first device
};

}  // namespace

std::unique_ptr<causal_lm> make_llama(const model_config& config, const std::string& dir, at::ScalarType dtype,
                                      const device_placement& placement) {
  return std::make_unique<llama_model>(config, dir, dtype, placement);
}

}  // namespace harness
