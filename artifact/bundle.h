// bundle.h: the artifact bundle (a tar.gz for artifact-evaluation review) and its verification.
//
// Layout inside the archive, under one top folder `harness-artifact/`:
//   README.md            the reviewer's guide (claims -> experiments -> make targets -> expected results)
//   bundle.json          manifest: bundle version, commit, results counted, INVALID results declared
//                        (with the reason given), renderings made and those skipped (and why)
//   results/             the stored results (JSON), the provenance log and its patches
//   tables/, figures/    rendered from results/ alone
//   docs/                the result schema and its description
//   environment/         how the machine was set up (setup script, pinned Python packages, Makefile)
//                        and machines.json (each machine's environment from its latest result)
//   SHA256SUMS           `sha256sum -c` format, every other file
#pragma once
#include <functional>
#include <string>
#include <vector>

namespace harness {

// One kind of rendering the bundle holds (tables or figures): its folder in the bundle, the names, and
// what renders one name from a results folder into an output folder. `cases_of` says which cases a
// name reads, so names whose cases have no results are skipped (and listed as skipped) rather than
// failing the bundle.
struct rendering_kind {
  std::string folder;
  std::vector<std::string> names;
  std::function<std::vector<std::string>(const std::string& name)> cases_of;
  std::function<void(const std::string& name, const std::string& results_dir, const std::string& out_dir)> render;
};

struct bundle_options {
  std::string results_dir = "results";
  std::string source_dir = ".";     // the checkout: README for review, docs, environment files
  std::string out_file;             // the .tar.gz to write (atomically)
  std::string commit;               // the harness build's commit, recorded in the manifest
  std::string invalid_reason;       // when set, INVALID results are bundled, declared with this reason
};

// Builds the bundle; returns the number of files in it. Refuses INVALID results unless declared.
size_t build_bundle(const bundle_options& options, const std::vector<rendering_kind>& kinds);

// Every problem found in a bundle (empty: it verifies): checksums, the schema of every result, byte-
// identical regeneration of every table and figure from the bundled results, undeclared INVALID results.
std::vector<std::string> verify_bundle(const std::string& file, const std::vector<rendering_kind>& kinds);

}  // namespace harness
