#include "agent/checks/dns_message.h"

#include <algorithm>
#include <array>
#include <utility>

namespace fbf::agent::checks::dns {

namespace {

constexpr std::pair<std::string_view, std::uint16_t> kTypes[] = {
    {"A", 1},   {"NS", 2},   {"CNAME", 5}, {"SOA", 6}, {"PTR", 12},    {"MX", 15},
    {"TXT", 16}, {"AAAA", 28}, {"SRV", 33}, {"DS", 43}, {"DNSKEY", 48}, {"CAA", 257},
};

constexpr std::uint16_t kFlagQr = 0x8000;
constexpr std::uint16_t kFlagTc = 0x0200;
constexpr std::uint16_t kFlagRd = 0x0100;

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

void put16(std::vector<std::uint8_t>& out, std::uint16_t v) {
  out.push_back(static_cast<std::uint8_t>(v >> 8));
  out.push_back(static_cast<std::uint8_t>(v & 0xff));
}

// Bounds-checked big-endian reads: nullopt instead of reading past the end.
std::optional<std::uint16_t> get16(std::span<const std::uint8_t> b, std::size_t pos) {
  if (pos + 2 > b.size()) return std::nullopt;
  return static_cast<std::uint16_t>((b[pos] << 8) | b[pos + 1]);
}

// Reads the name at `pos`, following compression pointers (RFC 1035 §4.1.4).
// Every pointer must point before the start of the labels that led to it, so
// the walk moves strictly backwards on each jump and always ends. Returns the
// position just after the name where it started (after its first pointer,
// if any); appends the dotted lower-case name to `out` when given.
std::expected<std::size_t, DecodeError> read_name(std::span<const std::uint8_t> b,
                                                  std::size_t pos, std::string* out) {
  std::size_t run_start = pos;  // first octet of the current run of labels
  std::optional<std::size_t> after;  // where the caller continues
  std::size_t wire = 1;              // the terminating zero octet
  while (true) {
    if (pos >= b.size()) return std::unexpected(DecodeError::bad_name);
    const std::uint8_t len = b[pos];
    if ((len & 0xc0) == 0xc0) {
      if (pos + 2 > b.size()) return std::unexpected(DecodeError::bad_pointer);
      const std::size_t target = ((len & 0x3fU) << 8) | b[pos + 1];
      if (target >= run_start) return std::unexpected(DecodeError::bad_pointer);
      if (!after) after = pos + 2;
      pos = run_start = target;
      continue;
    }
    if ((len & 0xc0) != 0) return std::unexpected(DecodeError::bad_name);  // 01/10: reserved
    if (len == 0) break;
    wire += 1U + len;
    if (wire > kMaxNameWire || pos + 1 + len > b.size())
      return std::unexpected(DecodeError::bad_name);
    if (out) {
      if (!out->empty()) out->push_back('.');
      for (std::size_t i = 0; i < len; ++i) out->push_back(lower(static_cast<char>(b[pos + 1 + i])));
    }
    pos += 1U + len;
  }
  return after.value_or(pos + 1);
}

}  // namespace

std::optional<std::uint16_t> type_code(std::string_view name) {
  for (const auto& [n, code] : kTypes)
    if (n == name) return code;
  return std::nullopt;
}

std::string rcode_name(std::uint8_t rcode) {
  static constexpr std::array<std::string_view, 11> kNames = {
      "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED",
      "YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH", "NOTZONE"};
  if (rcode < kNames.size()) return std::string(kNames[rcode]);
  return "RCODE" + std::to_string(rcode);
}

std::string_view to_string(DecodeError e) {
  switch (e) {
    case DecodeError::short_header: return "shorter than a DNS header";
    case DecodeError::not_a_response: return "not a response (QR clear)";
    case DecodeError::bad_name: return "malformed name";
    case DecodeError::bad_pointer: return "bad compression pointer";
    case DecodeError::short_question: return "question cut off";
    case DecodeError::short_record: return "answer record cut off";
  }
  return "malformed";
}

std::expected<std::vector<std::uint8_t>, std::string> encode_name(std::string_view name) {
  std::vector<std::uint8_t> out;
  if (name == ".") {
    out.push_back(0);
    return out;
  }
  if (name.ends_with('.')) name.remove_suffix(1);
  if (name.empty()) return std::unexpected("empty name");
  while (true) {
    const auto dot = name.find('.');
    const auto label = name.substr(0, dot);
    if (label.empty()) return std::unexpected("empty label in name");
    if (label.size() > kMaxLabel) return std::unexpected("label longer than 63 octets");
    out.push_back(static_cast<std::uint8_t>(label.size()));
    out.insert(out.end(), label.begin(), label.end());
    if (dot == std::string_view::npos) break;
    name.remove_prefix(dot + 1);
  }
  out.push_back(0);
  if (out.size() > kMaxNameWire) return std::unexpected("name longer than 255 octets");
  return out;
}

std::expected<std::vector<std::uint8_t>, std::string> encode_query(std::uint16_t id,
                                                                   std::string_view name,
                                                                   std::uint16_t type) {
  auto qname = encode_name(name);
  if (!qname) return std::unexpected(qname.error());
  std::vector<std::uint8_t> out;
  out.reserve(kHeaderSize + qname->size() + 4);
  put16(out, id);
  put16(out, kFlagRd);
  put16(out, 1);  // QDCOUNT
  put16(out, 0);  // ANCOUNT
  put16(out, 0);  // NSCOUNT
  put16(out, 0);  // ARCOUNT
  out.insert(out.end(), qname->begin(), qname->end());
  put16(out, type);
  put16(out, kClassIn);
  return out;
}

std::expected<Response, DecodeError> decode_response(std::span<const std::uint8_t> b) {
  if (b.size() < kHeaderSize) return std::unexpected(DecodeError::short_header);
  Response r;
  r.id = *get16(b, 0);
  const std::uint16_t flags = *get16(b, 2);
  if ((flags & kFlagQr) == 0) return std::unexpected(DecodeError::not_a_response);
  r.opcode = static_cast<std::uint8_t>((flags >> 11) & 0x0f);
  r.truncated = (flags & kFlagTc) != 0;
  r.rcode = static_cast<std::uint8_t>(flags & 0x0f);
  r.qdcount = *get16(b, 4);
  r.ancount = *get16(b, 6);
  std::size_t pos = kHeaderSize;
  for (std::uint16_t i = 0; i < r.qdcount; ++i) {
    Question q;
    auto next = read_name(b, pos, &q.name);
    if (!next) return std::unexpected(next.error());
    const auto type = get16(b, *next);
    const auto klass = get16(b, *next + 2);
    if (!type || !klass) return std::unexpected(DecodeError::short_question);
    q.type = *type;
    q.klass = *klass;
    r.questions.push_back(std::move(q));
    pos = *next + 4;
  }
  for (std::uint16_t i = 0; i < r.ancount; ++i) {
    // NAME, TYPE(2) CLASS(2) TTL(4) RDLENGTH(2), RDATA.
    auto next = read_name(b, pos, nullptr);
    const auto rdlength = next ? get16(b, *next + 8) : std::nullopt;
    if (!next || !rdlength || *next + 10 + *rdlength > b.size()) {
      if (r.truncated) break;  // TC: the server cut the section short, as announced
      if (!next) return std::unexpected(next.error());
      return std::unexpected(DecodeError::short_record);
    }
    pos = *next + 10 + *rdlength;
    ++r.answers;
    if (!r.questions.empty() && *get16(b, *next) == r.questions.front().type &&
        *get16(b, *next + 2) == r.questions.front().klass)
      ++r.answers_for_question;
  }
  return r;
}

bool answers_query(const Response& r, std::uint16_t id, std::string_view name,
                   std::uint16_t type) {
  if (r.id != id || r.opcode != 0 || r.questions.size() != 1) return false;
  const Question& q = r.questions.front();
  if (q.type != type || q.klass != kClassIn) return false;
  if (name.ends_with('.')) name.remove_suffix(1);
  return std::equal(q.name.begin(), q.name.end(), name.begin(), name.end(),
                    [](char a, char b) { return a == lower(b); });
}

}  // namespace fbf::agent::checks::dns
