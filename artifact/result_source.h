// result_source.h: a result set named on the command line -- a folder of results, or a commit of a
// git repository whose results are read through git (`git ls-tree`, `git show`) without a checkout.
#pragma once
#include <string>
#include <vector>

#include "artifact/result_set.h"

namespace harness {

// Every result under the folder `under` of the repository `repo` at `commit`, sorted by path; each
// result's path reads "COMMIT:PATH". Files that are not results are skipped as read_result_folder does.
std::vector<stored_result> read_result_commit(const std::string& repo, const std::string& commit,
                                              const std::string& under);

// `spec` as a folder when one exists at that path, else as a commit of `repo`; neither is an error.
std::vector<stored_result> read_result_source(const std::string& spec, const std::string& repo,
                                              const std::string& under);

}  // namespace harness
