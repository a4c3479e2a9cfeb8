#include "predictors/predictor.h"

#include "runtime/error.h"
#include "runtime/safetensors.h"
#include "runtime/safetensors_writer.h"

namespace harness {

predictor_impl::predictor_impl(const predictor_shape& shape) : shape_(shape) {
  if (shape.in < 1 || shape.rank < 1 || shape.out < 1)
    fail("predictor: sizes must be positive, got {} -> {} -> {}", shape.in, shape.rank, shape.out);
  down = register_module("down", torch::nn::Linear(torch::nn::LinearOptions(shape.in, shape.rank).bias(false)));
  up = register_module("up", torch::nn::Linear(torch::nn::LinearOptions(shape.rank, shape.out).bias(false)));
}

at::Tensor predictor_impl::forward(const at::Tensor& x) {
  at::Tensor hidden = down->forward(x);  // [N, rank]
  if (shape_.relu) hidden = at::relu(hidden);
  return up->forward(hidden);  // [N, out]
}

void save_predictor(predictor& net, const std::string& path) {
  const predictor_shape& s = net->shape();
  write_safetensors(path, {{"down.weight", net->down->weight.detach().cpu()}, {"up.weight", net->up->weight.detach().cpu()}},
                    {{"format", "harness-predictor"}, {"relu", s.relu ? "1" : "0"}});
}

predictor load_predictor(const std::string& path) {
  safetensors_file file(path);
  if (!file.contains("down.weight") || !file.contains("up.weight")) fail("{}: not a predictor (down.weight, up.weight)", path);
  at::Tensor down = file.load("down.weight", at::kFloat, at::kCPU);  // [rank, in]
  at::Tensor up = file.load("up.weight", at::kFloat, at::kCPU);      // [out, rank]
  if (down.dim() != 2 || up.dim() != 2 || up.size(1) != down.size(0)) fail("{}: predictor weights have mismatched shapes", path);
  auto relu = file.header().metadata.find("relu");
  predictor_shape shape{down.size(1), down.size(0), up.size(0), relu != file.header().metadata.end() && relu->second == "1"};
  predictor net(shape);
  torch::NoGradGuard no_grad;
  net->down->weight.copy_(down);
  net->up->weight.copy_(up);
  return net;
}

}  // namespace harness
