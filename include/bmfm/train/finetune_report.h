// What a fine-tuning run writes about its metrics (torch-free).
#pragma once

#include <string>

#include "bmfm/train/finetune.h"

namespace bmfm::train {

// <out>/metrics.json and metrics.md (val and test rows per label: accuracy /
// macro F1 with 95% bootstrap intervals when `intervals`, multi-label and
// regression scores), per_class_<label>.csv and confusion_<label>.csv.
void write_finetune_metrics(const std::string& out, const FinetuneResult& r, bool intervals);

}  // namespace bmfm::train
