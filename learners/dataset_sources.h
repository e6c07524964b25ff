// Internal to learners/: the readers behind LoadDataset for the sources that
// are not IDX (ReadIdx is public). Each returns every example of its source,
// unshuffled and unsplit, with `description` naming the source.
//
// Thread safety: free functions; the KB one uses `kb`, which belongs to the
// calling thread.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "learners/dataset.h"
#include "syllo/status.h"

namespace syllo::kb {
class KnowledgeBase;
}

namespace syllo::learners {

// csv:FILE — a header row, options.label_column the label, every other column a number.
Result<Dataset> ReadCsvDataset(const std::string& path, const DataOptions& options);

// kb:RELATION — see dataset.h for which columns are the features.
Result<Dataset> ReadKbDataset(kb::KnowledgeBase& kb, const std::string& relation, const DataOptions& options);

// Turns label texts into indices, one example at a time: into the declared
// labels (DataOptions::labels) when there are some, else into the sorted
// distinct texts seen.
class LabelIndexer {
 public:
  explicit LabelIndexer(const std::vector<std::string>& declared);
  // False (and nothing added) if labels were declared and `text` is not one of them.
  bool Add(const std::string& text);
  // The label names, and one index per text added, in order.
  void Finish(std::vector<std::string>& label_names, std::vector<std::int64_t>& labels) const;
  // "tshirt, trouser, ..." for messages (the first few).
  std::string DeclaredList() const;

 private:
  std::vector<std::string> declared_;
  std::unordered_map<std::string, std::int64_t> index_;  // declared label -> its index
  std::vector<std::string> texts_;                        // undeclared: the texts, resolved in Finish
  std::vector<std::int64_t> labels_;                      // declared: the indices
};

}  // namespace syllo::learners
