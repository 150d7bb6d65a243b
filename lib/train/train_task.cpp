#include "train/train_task.h"

namespace paramoe {

std::unique_ptr<TrainTask> make_train_task(const RunContext& rc) {
  if (rc.config.model.swin()) return make_image_classification_task(rc);
  return rc.config.model.transformer() ? make_language_model_task(rc) : make_synthetic_task(rc);
}

}  // namespace paramoe
