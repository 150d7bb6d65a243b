#include "model/window_attention.h"

#include "core/row_split.h"

namespace paramoe {

namespace {

// Swin's region labels for the shifted windows' mask: along each axis the map is
// cut into [0, R − w), [R − w, R − s) and [R − s, R); after the cyclic shift, tokens
// of different regions share a window without being neighbours.
int region(int64_t c, const WindowGeometry& g) {
  return c < g.resolution - g.window ? 0 : (c < g.resolution - g.shift ? 1 : 2);
}

}  // namespace

WindowAttention::WindowAttention(const std::string& prefix, SelfAttention& attn, int heads,
                                 const WindowGeometry& geometry, DenseBackend& be)
    : attn_(&attn),
      be_(&be),
      g_(geometry),
      L_(geometry.window * geometry.window),
      windows_((geometry.resolution / geometry.window) * (geometry.resolution / geometry.window)),
      heads_local_(attn.local_heads()),
      xw_(be.new_buffer()),
      yw_(be.new_buffer()),
      bias_(be.new_buffer()),
      dbias_(be.new_buffer()),
      dtable_(be.new_buffer()) {
  const ProcessGrid& grid = be.coll().grid();
  int64_t h0 = 0, hl = 0;
  split_rows(heads, grid.size(Group::Mp), grid.index().mp, h0, hl);
  const int64_t w = g_.window, span = 2 * w - 1;
  // Swin excludes the table from weight decay.
  table = param_make(prefix + "/rpb", {span * span, heads}, {0, h0}, {span * span, hl},
                     GradSync::Dp, false);
  rel_index_.resize(L_ * L_);
  for (int64_t a = 0; a < L_; ++a)
    for (int64_t b = 0; b < L_; ++b)
      rel_index_[a * L_ + b] =
          static_cast<int32_t>((a / w - b / w + w - 1) * span + (a % w - b % w + w - 1));
  if (g_.shift > 0) {
    const int64_t per_side = g_.resolution / w;
    mask_.assign(windows_ * L_ * L_, 0.0f);
    std::vector<int> label(L_);
    for (int64_t n = 0; n < windows_; ++n) {
      for (int64_t t = 0; t < L_; ++t)
        label[t] =
            3 * region((n / per_side) * w + t / w, g_) + region((n % per_side) * w + t % w, g_);
      for (int64_t a = 0; a < L_; ++a)
        for (int64_t b = 0; b < L_; ++b)
          if (label[a] != label[b]) mask_[(n * L_ + a) * L_ + b] = -100.0f;  // as Swin
    }
  }
}

void WindowAttention::plan(int64_t images) {
  if (images == images_) return;
  images_ = images;
  const int64_t R = g_.resolution, w = g_.window, per_side = R / w, area = R * R;
  to_windows_.resize(images * area);
  to_raster_.resize(images * area);
  for (int64_t b = 0; b < images; ++b)
    for (int64_t n = 0; n < windows_; ++n)
      for (int64_t t = 0; t < L_; ++t) {
        // torch.roll(x, −shift) then window n's token t: raster (y + shift, x + shift).
        const int64_t y = ((n / per_side) * w + t / w + g_.shift) % R;
        const int64_t x = ((n % per_side) * w + t % w + g_.shift) % R;
        const int64_t win = b * area + n * L_ + t, ras = b * area + y * R + x;
        to_windows_[win] = static_cast<int32_t>(ras);
        to_raster_[ras] = static_cast<int32_t>(win);
      }
}

void WindowAttention::build_bias() {
  const int64_t rows = table.shape[0], hl = heads_local_, groups = mask_.empty() ? 1 : windows_;
  std::vector<float> t(rows * hl);
  be_->download(be_->value(table), rows * hl, t.data());
  host_.resize(groups * hl * L_ * L_);
  for (int64_t gi = 0; gi < groups; ++gi)
    for (int64_t h = 0; h < hl; ++h)
      for (int64_t ab = 0; ab < L_ * L_; ++ab) {
        const float m = mask_.empty() ? 0.0f : mask_[gi * L_ * L_ + ab];
        host_[(gi * hl + h) * L_ * L_ + ab] = t[rel_index_[ab] * hl + h] + m;
      }
  be_->upload(host_.data(), static_cast<int64_t>(host_.size()), bias_->fit(host_.size()));
}

void WindowAttention::forward(const float* x, int64_t images, float* y) {
  plan(images);
  build_bias();
  const int64_t n = images * g_.resolution * g_.resolution, D = attn_->qkv().in();
  float* xw = xw_->fit(n * D);
  float* yw = yw_->fit(n * D);
  be_->gather_rows(x, to_windows_.data(), n, D, xw);
  attn_->forward_biased(xw, images * windows_, L_, bias_->data(), mask_.empty() ? 1 : windows_, yw);
  be_->gather_rows(yw, to_raster_.data(), n, D, y);
}

void WindowAttention::backward(const float* dy, float* dx) {
  const int64_t n = images_ * g_.resolution * g_.resolution, D = attn_->qkv().in();
  const int64_t hl = heads_local_, rows = table.shape[0];
  float* dyw = yw_->data();  // the forward's output is no longer needed
  float* dxw = xw_->data();  // nor its input (SelfAttention keeps its own copy)
  be_->gather_rows(dy, to_windows_.data(), n, D, dyw);
  float* dbias = dbias_->fit(hl * L_ * L_);
  attn_->backward(dyw, dxw, dbias);
  be_->gather_rows(dxw, to_raster_.data(), n, D, dx);
  // The table's gradient: each (query, key) pair's bias gradient goes to its row.
  host_.resize(hl * L_ * L_);
  be_->download(dbias, hl * L_ * L_, host_.data());
  std::vector<float> dt(rows * hl, 0.0f);
  for (int64_t h = 0; h < hl; ++h)
    for (int64_t ab = 0; ab < L_ * L_; ++ab) dt[rel_index_[ab] * hl + h] += host_[h * L_ * L_ + ab];
  float* d = dtable_->fit(dt.size());
  be_->upload(dt.data(), static_cast<int64_t>(dt.size()), d);
  be_->accumulate(d, static_cast<int64_t>(dt.size()), be_->grad(table));
}

}  // namespace paramoe
