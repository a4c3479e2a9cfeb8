#include "predictors/record_text.h"

#include "runtime/error.h"

namespace harness {

record_stats record_documents(causal_lm& model, const tokenizer& tok, const std::vector<std::string>& documents,
                              int64_t seqlen, int64_t batch, activation_recorder& recorder,
                              const std::function<void(int64_t, int64_t)>& on_batch) {
  if (seqlen < 1 || batch < 1) fail("record: seqlen and batch must be >= 1");
  record_stats stats;
  size_t next = 0;
  while (!recorder.full() && next < documents.size()) {
    std::vector<std::vector<int32_t>> rows;
    while (static_cast<int64_t>(rows.size()) < batch && next < documents.size()) {
      std::vector<int32_t> ids = tok.encode(documents[next++], tok.adds_bos_by_default());
      check_token_ids(ids, model.config(), fmt::format("document {}", next));
      if (static_cast<int64_t>(ids.size()) > seqlen) ids.resize(seqlen);
      if (!ids.empty()) rows.push_back(std::move(ids));
    }
    if (rows.empty()) break;
    int64_t width = 0;
    for (const auto& r : rows) width = std::max<int64_t>(width, static_cast<int64_t>(r.size()));
    int64_t pad = model.config().pad_token_id.value_or(0);
    at::Tensor ids = at::full({static_cast<int64_t>(rows.size()), width}, pad, at::kLong);  // [B, T]
    at::Tensor mask = at::zeros({static_cast<int64_t>(rows.size()), width}, at::kLong);      // [B, T]
    for (size_t b = 0; b < rows.size(); ++b) {
      int64_t n = static_cast<int64_t>(rows[b].size());
      ids[b].narrow(0, 0, n).copy_(at::tensor(std::vector<int64_t>(rows[b].begin(), rows[b].end()), at::kLong));
      mask[b].narrow(0, 0, n).fill_(1);
      stats.tokens += n;
    }
    stats.documents += static_cast<int64_t>(rows.size());
    recorder.begin_batch(mask.to(at::kBool));
    forward_options opt;
    opt.observer = &recorder;
    opt.last_position_only = true;
    model.forward({ids, mask, {}}, opt);
    if (on_batch) on_batch(recorder.rows(), -1);
  }
  return stats;
}

}  // namespace harness
