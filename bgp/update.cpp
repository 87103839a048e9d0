#include "bgp/update.h"

#include "bgp/message.h"
#include "bgp/nlri.h"

namespace fbf::bgp {

namespace {

class FullDecoder final : public UpdateSink {
 public:
  FullDecoder(DecodedUpdate& out, bool four_octet_as) : out_(out), four_octet_as_(four_octet_as) {}

  void withdrawn_routes(Bytes field) override {
    check(decode_prefixes(field, platform::Family::v4, out_.update.withdrawn));
  }
  void attribute(std::uint8_t flags, std::uint8_t type, Bytes value) override {
    check(decode_attribute(out_.update.attributes, flags, type, value, four_octet_as_));
  }
  void nlri(Bytes field) override {
    check(decode_prefixes(field, platform::Family::v4, out_.update.nlri));
  }

 private:
  void check(bool ok) { out_.consistent = out_.consistent && ok; }

  DecodedUpdate& out_;
  bool four_octet_as_;
};

}  // namespace

DecodedUpdate decode_update(Bytes message, const UpdateOptions& options) {
  DecodedUpdate out;
  FullDecoder sink(out, options.four_octet_as);
  out.summary = walk_update(message, options, &sink);
  return out;
}

std::expected<std::vector<std::uint8_t>, EncodeError> encode_update(const Update& update,
                                                             const EncodeOptions& options) {
  std::vector<std::uint8_t> out;
  Writer w(out);
  std::size_t start = begin_message(w, MessageType::update);
  std::size_t wlen_at = w.size();
  w.u16(0);
  for (const platform::Prefix& p : update.withdrawn) {
    if (!p.address().is_v4()) return std::unexpected(EncodeError::family_mismatch);
    encode_prefix(w, p);
  }
  std::size_t alen_at = w.size();
  w.u16(0);
  if (auto r = encode_path_attributes(w, update.attributes, options); !r) return std::unexpected(r.error());
  std::size_t nlri_at = w.size();
  for (const platform::Prefix& p : update.nlri) {
    if (!p.address().is_v4()) return std::unexpected(EncodeError::family_mismatch);
    encode_prefix(w, p);
  }
  if (w.size() - start > std::min(options.max_length, kMaxExtendedMessageLength)) {
    return std::unexpected(EncodeError::message_too_long);
  }
  w.patch_u16(wlen_at, static_cast<std::uint16_t>(alen_at - wlen_at - 2));
  w.patch_u16(alen_at, static_cast<std::uint16_t>(nlri_at - alen_at - 2));
  finish_message(w, start);
  return out;
}

std::vector<std::uint8_t> encode_end_of_rib(AfiSafi family) {
  if (family == kIpv4Unicast) return encode_update_frame({}, {}, {});
  std::vector<std::uint8_t> attrs;
  Writer w(attrs);
  std::size_t at = begin_attribute(w, attr_flag::optional, AttrType::mp_unreach_nlri);
  w.u16(family.afi);
  w.u8(family.safi);
  end_attribute(w, at);
  return encode_update_frame({}, attrs, {});
}

}  // namespace fbf::bgp
