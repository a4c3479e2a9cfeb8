// opt.cpp: OPTForCausalLM (LayerNorm, ReLU MLP, learned positions with offset 2, pre-LN or post-LN as in
// opt-350m, optional project_in/project_out), read top to bottom as transformers' modeling_opt.py
// computes it. Shapes: B batch, T new tokens, P cached, S = P + T, d hidden, e word_embed_proj_dim,
// H heads, hd head dim, F ffn_dim, V vocab, M max_position_embeddings.
#include "runtime/models/architectures.h"

#include "runtime/layers.h"
#include "runtime/speed_path.h"
#include "runtime/weight_binder.h"

namespace harness {

namespace {

constexpr int64_t opt_position_offset = 2;  // OPTLearnedPositionalEmbedding reserves rows 0 and 1
constexpr double opt_layer_norm_eps = 1e-5;

struct opt_layer {
  at::Tensor self_attn_layer_norm_w, self_attn_layer_norm_b;  // [d]
  at::Tensor q_proj, q_bias;                                  // [d, d], [d] if enable_bias
  at::Tensor k_proj, k_bias;
  at::Tensor v_proj, v_bias;
  at::Tensor out_proj, out_bias;
  at::Tensor final_layer_norm_w, final_layer_norm_b;  // [d]
  at::Tensor fc1, fc1_bias;                           // [F, d], [F]
  at::Tensor fc2, fc2_bias;                           // [d, F], [d]
};

class opt_model final : public causal_lm {
 public:
  opt_model(const model_config& config, const std::string& dir, at::ScalarType dtype, const device_placement& placement)
      : causal_lm(config, dtype, placement) {
    const model_config& c = config_;
    weight_binder w = decoder_weight_binder(dir, c, dtype, device());
    int64_t d = c.hidden_size, e = c.word_embed_proj_dim, f = c.intermediate_size;
    bool affine = c.layer_norm_elementwise_affine, bias = c.enable_bias;
    embed_tokens_ = c.tie_word_embeddings ? w.get_tied_embedding("embed_tokens.weight", {c.vocab_size, e})
                                          : w.get("embed_tokens.weight", {c.vocab_size, e});
    embed_positions_ = w.get("embed_positions.weight", {c.max_position_embeddings + opt_position_offset, d});
    project_in_ = w.get_if(c.has_projections(), "project_in.weight", {d, e});
    w.place_on(placement.last());
    project_out_ = w.get_if(c.has_projections(), "project_out.weight", {e, d});
    for (int64_t i = 0; i < c.num_layers; ++i) {
      std::string p = "layers." + std::to_string(i) + ".";
      w.place_on(layer_device(i));
      opt_layer l;
      l.self_attn_layer_norm_w = w.get_if(affine, p + "self_attn_layer_norm.weight", {d});
      l.self_attn_layer_norm_b = w.get_if(affine, p + "self_attn_layer_norm.bias", {d});
      l.q_proj = w.get(p + "self_attn.q_proj.weight", {d, d});
      l.k_proj = w.get(p + "self_attn.k_proj.weight", {d, d});
      l.v_proj = w.get(p + "self_attn.v_proj.weight", {d, d});
      l.out_proj = w.get(p + "self_attn.out_proj.weight", {d, d});
      l.q_bias = w.get_if(bias, p + "self_attn.q_proj.bias", {d});
      l.k_bias = w.get_if(bias, p + "self_attn.k_proj.bias", {d});
      l.v_bias = w.get_if(bias, p + "self_attn.v_proj.bias", {d});
      l.out_bias = w.get_if(bias, p + "self_attn.out_proj.bias", {d});
      l.final_layer_norm_w = w.get_if(affine, p + "final_layer_norm.weight", {d});
      l.final_layer_norm_b = w.get_if(affine, p + "final_layer_norm.bias", {d});
      l.fc1 = w.get(p + "fc1.weight", {f, d});
      l.fc1_bias = w.get_if(bias, p + "fc1.bias", {f});
      l.fc2 = w.get(p + "fc2.weight", {d, f});
      l.fc2_bias = w.get_if(bias, p + "fc2.bias", {d});
      layers_.push_back(std::move(l));
    }
    // The decoder-level final LayerNorm exists only in pre-LN OPT (not in opt-350m).
    w.place_on(placement.last());
    if (c.do_layer_norm_before) {
      final_norm_w_ = w.get_if(affine, "final_layer_norm.weight", {d});
      final_norm_b_ = w.get_if(affine, "final_layer_norm.bias", {d});
    }
    lm_head_ = c.tie_word_embeddings ? embed_tokens_ : w.get_unprefixed("lm_head.weight", {c.vocab_size, e});
    weights_ = w.bound();
  }

  forward_output forward(const forward_input& in, const forward_options& opt) override {
    const model_config& c = config_;
    int64_t batch = in.input_ids.size(0), t = in.input_ids.size(1), d = c.hidden_size;
    int64_t past = opt.cache ? opt.cache->length() : 0;
    at::Tensor ids = in.input_ids.to(device());
    at::Tensor mask = causal_padding_mask(in.attention_mask, batch, past, t, dtype_, device());  // [B, 1, T, S]
    double scaling = 1.0 / std::sqrt(static_cast<double>(c.head_dim));
    speed_path speed(opt, in, t, c);

    forward_output out;
    at::Tensor h = at::embedding(embed_tokens_, ids);           // [B, T, e]
    if (project_in_.defined()) h = at::linear(h, project_in_);  // [B, T, d]
    h = h + at::embedding(embed_positions_, positions(in.attention_mask, batch, past, t) + opt_position_offset);
    if (opt.output_hidden_states) out.hidden_states.push_back(h);
    bool pre_ln = c.do_layer_norm_before;
    for (int64_t i = 0; i < c.num_layers; ++i) {
      const opt_layer& l = layers_[i];
      // Into the layer's device: what it reads moves at a device boundary (a no-op within a device).
      const at::Device& here = layer_device(i);
      h = h.to(here);
      mask = mask.to(here);
      // Attention sub-block (the query is scaled after its bias, before the dot product, as in HF).
      observe(opt, hook_point::attn_in, i, h);
      at::Tensor x = pre_ln ? layer_norm(h, l.self_attn_layer_norm_w, l.self_attn_layer_norm_b) : h;  // [B, T, d]
      observe(opt, hook_point::attn_norm, i, x);
      // The kernels scale the scores instead of the query: the same product.
      at::Tensor attn = speed.attention(i, x, {}, {}, scaling);  // [B, 1, d], or undefined: computed here
      if (!attn.defined()) {
        at::Tensor q = (at::linear(x, l.q_proj, l.q_bias) * scaling).view({batch, t, c.num_heads, c.head_dim});
        at::Tensor k = at::linear(x, l.k_proj, l.k_bias).view({batch, t, c.num_heads, c.head_dim}).transpose(1, 2);
        at::Tensor v = at::linear(x, l.v_proj, l.v_bias).view({batch, t, c.num_heads, c.head_dim}).transpose(1, 2);
        if (opt.cache) std::tie(k, v) = opt.cache->append(i, k, v);  // [B, H, S, hd]
        q = q.transpose(1, 2);                                        // [B, H, T, hd]
        at::Tensor heads = attention(q, k, v, attention_mask_for(opt, i, q, k, mask, 1.0), 1.0);  // [B, T, H, hd]
        heads = apply_head_keep(heads, head_keep_for(opt, i, heads), i);
        observe(opt, hook_point::attn_heads, i, heads);
        attn = at::linear(heads.reshape({batch, t, d}), l.out_proj, l.out_bias);
      }
      observe(opt, hook_point::attn_out, i, attn);
      h = h + attn;
      if (!pre_ln) h = layer_norm(h, l.self_attn_layer_norm_w, l.self_attn_layer_norm_b);
      // MLP sub-block.
      observe(opt, hook_point::mlp_in, i, h);
      x = pre_ln ? layer_norm(h, l.final_layer_norm_w, l.final_layer_norm_b) : h;
      observe(opt, hook_point::mlp_norm, i, x);
      at::Tensor mlp = speed.mlp(i, x);  // [B, 1, d], or undefined: computed here
      if (!mlp.defined()) {
        at::Tensor act = activation(at::linear(x, l.fc1, l.fc1_bias));
        act = apply_mlp_keep(act, mlp_keep_for(opt, i, act), i);  // [B, T, F]
        observe(opt, hook_point::mlp_act, i, act);
        mlp = at::linear(act, l.fc2, l.fc2_bias);
      }
      observe(opt, hook_point::mlp_out, i, mlp);
      h = h + mlp;
      if (!pre_ln) h = layer_norm(h, l.final_layer_norm_w, l.final_layer_norm_b);
      observe(opt, hook_point::block_out, i, h);
      if (opt.output_hidden_states && i + 1 < c.num_layers) out.hidden_states.push_back(h.to(device()));
    }
    if (opt.cache) opt.cache->advance(t);
    if (pre_ln) h = layer_norm(h, final_norm_w_, final_norm_b_);  // on the last layer's device, as project_out
    if (project_out_.defined()) h = at::linear(h, project_out_);  // [B, T, e]
    if (opt.output_hidden_states) out.hidden_states.push_back(h.to(device()));
    if (opt.last_position_only) h = h.narrow(1, t - 1, 1);
    out.logits = at::linear(h.to(lm_head_.device()), lm_head_).to(device());  // [B, T, V] on the primary device
    return out;
  }

 private:
  // OPTLearnedPositionalEmbedding: cumsum(mask) * mask - 1 (padding gets -1), last T entries.
  at::Tensor positions(const at::Tensor& attention_mask, int64_t batch, int64_t past, int64_t t) const {
    auto long_options = at::TensorOptions().dtype(at::kLong).device(device());
    if (!attention_mask.defined()) return at::arange(past, past + t, long_options).expand({batch, t});
    at::Tensor m = attention_mask.to(device()).to(at::kLong);
    return (m.cumsum(1) * m - 1).narrow(1, past, t);
  }

  at::Tensor layer_norm(const at::Tensor& x, const at::Tensor& w, const at::Tensor& b) const {
    return at::layer_norm(x, {config_.hidden_size}, w, b, opt_layer_norm_eps);
  }

  at::Tensor activation(const at::Tensor& x) const { return config_.activation == "relu" ? at::relu(x) : at::gelu(x); }

  at::Tensor embed_tokens_;     // [V, e], first device
  at::Tensor embed_positions_;  // [M + 2, d], first device
  at::Tensor project_in_;       // [d, e] when e != d, first device
  at::Tensor project_out_;      // [e, d] when e != d, last device
  std::vector<opt_layer> layers_;  // layer i on layer_device(i)
  at::Tensor final_norm_w_, final_norm_b_;  // [d], pre-LN only, last device
  at::Tensor lm_head_;                      // [V, e], last device (tied: the embedding, on the first)
};

}  // namespace

std::unique_ptr<causal_lm> make_opt(const model_config& config, const std::string& dir, at::ScalarType dtype,
                                    const device_placement& placement) {
  return std::make_unique<opt_model>(config, dir, dtype, placement);
}

}  // namespace harness
