#include "binding.h"

#include <cstring>
#include <limits>
#include <sstream>

namespace vae::binding {

namespace {

const char* const kGeometryFields[] = {"n", "c", "h", "w", "kh", "kw", "stride", "padding", "ho", "wo"};
constexpr std::size_t kFieldCount = sizeof(kGeometryFields) / sizeof(kGeometryFields[0]);
static_assert(sizeof(ConvGeometry) == kFieldCount * sizeof(int), "ConvGeometry is ten ints, in this order");

[[noreturn]] void bad_table(const std::string& kernel, const std::string& why) {
  throw std::logic_error("kernel table, " + kernel + ": " + why);
}

std::size_t find_arg(const Signature& sig, const std::string& name) {
  for (std::size_t i = 0; i < sig.args.size(); i++)
    if (sig.args[i].name == name) return i;
  bad_table(sig.name, "no argument named " + name);
}

std::vector<Factor> parse_size(const Signature& sig, const std::string& text) {
  std::vector<Factor> factors;
  if (text.empty()) return factors;
  std::stringstream parts(text);
  std::string f;
  while (std::getline(parts, f, '*')) {
    if (f.empty()) bad_table(sig.name, "empty factor in " + text);
    if (f[0] >= '0' && f[0] <= '9') {
      factors.push_back({Factor::Literal, 0, static_cast<std::size_t>(std::stoul(f))});
    } else if (f[0] == '#') {
      const std::size_t at = find_arg(sig, f.substr(1));
      if (sig.args[at].kind != Kind::Floats) bad_table(sig.name, f + " is not an array");
      factors.push_back({Factor::LengthOf, at, 0});
    } else if (const auto dot = f.find('.'); dot != std::string::npos) {
      const std::size_t at = find_arg(sig, f.substr(0, dot));
      if (sig.args[at].kind != Kind::Geometry) bad_table(sig.name, f + " is not a geometry field");
      const std::string field = f.substr(dot + 1);
      std::size_t which = kFieldCount;
      for (std::size_t q = 0; q < kFieldCount; q++)
        if (field == kGeometryFields[q]) which = q;
      if (which == kFieldCount) bad_table(sig.name, "no geometry field " + field);
      factors.push_back({Factor::GeometryField, at, which});
    } else {
      const std::size_t at = find_arg(sig, f);
      if (sig.args[at].kind != Kind::Int) bad_table(sig.name, f + " is not an int argument");
      factors.push_back({Factor::IntArg, at, 0});
    }
  }
  return factors;
}

int field(const ConvGeometry& g, std::size_t which) {
  return (&g.n)[which];  // the ten ints in declaration order (checked above)
}

std::size_t evaluate(const Napi::Env& env, const Signature& sig, const std::vector<Factor>& size,
                     const std::vector<Slot>& slots) {
  std::size_t product = 1;
  for (const Factor& f : size) {
    std::size_t v = 0;
    switch (f.type) {
      case Factor::Literal: v = f.value; break;
      case Factor::IntArg: v = static_cast<std::size_t>(slots[f.arg].integer); break;
      case Factor::GeometryField: v = static_cast<std::size_t>(field(slots[f.arg].geometry, f.value)); break;
      case Factor::LengthOf: v = slots[f.arg].length; break;
    }
    if (__builtin_mul_overflow(product, v, &product)) throw Napi::RangeError::New(env, sig.name + ": sizes overflow");
  }
  return product;
}

int dimension(const Napi::Env& env, const Napi::Value& v, const std::string& what) {
  if (!v.IsNumber()) throw Napi::TypeError::New(env, what + " must be a number");
  const double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= 0 && d <= 2147483647.0) || d != static_cast<double>(static_cast<int>(d))) {
    throw Napi::RangeError::New(env, what + " must be a non-negative integer");
  }
  return static_cast<int>(d);
}

bool is_floats(const Napi::Value& v) {
  return v.IsTypedArray() && v.As<Napi::TypedArray>().TypedArrayType() == napi_float32_array;
}

struct Bound {
  Signature signature;
  void (*call)(std::vector<Slot>&);
};

Napi::Value call_kernel(const Napi::CallbackInfo& info) {
  const Bound& bound = *static_cast<const Bound*>(info.Data());
  // Kernels never call back into JavaScript, so one set of slots per thread is enough.
  thread_local std::vector<Slot> slots;
  read(info, bound.signature, slots);
  bound.call(slots);
  return info.Env().Undefined();
}

}  // namespace

Signature parse(const char* name, const char* text) {
  Signature sig{name, {}};
  std::vector<std::string> sizes;
  std::stringstream tokens(text);
  std::string token;
  bool derived_seen = false;
  while (tokens >> token) {
    Arg arg;
    std::string size;
    if (const auto eq = token.find('='); eq != std::string::npos) {
      arg.name = token.substr(0, eq);
      arg.kind = Kind::Derived;
      size = token.substr(eq + 1);
      derived_seen = true;
    } else {
      const auto colon = token.find(':');
      if (colon == std::string::npos) bad_table(name, "no kind in " + token);
      if (derived_seen) bad_table(name, "derived sizes come after every passed argument");
      arg.name = token.substr(0, colon);
      std::string kind = token.substr(colon + 1);
      const auto bracket = kind.find('[');
      if (bracket != std::string::npos) {
        if (kind.back() != ']') bad_table(name, "unclosed [ in " + token);
        size = kind.substr(bracket + 1, kind.size() - bracket - 2);
        kind = kind.substr(0, bracket);
      }
      if (kind == "bool") arg.kind = Kind::Bool;
      else if (kind == "int") arg.kind = Kind::Int;
      else if (kind == "num") arg.kind = Kind::Num;
      else if (kind == "geom") arg.kind = Kind::Geometry;
      else if (kind == "f32") arg.kind = Kind::Floats;
      else if (kind == "f32?") arg.kind = Kind::Floats, arg.nullable = true;
      else if (kind == "f32s") arg.kind = Kind::Lists;
      else bad_table(name, "unknown kind " + kind);
      if (bracket == std::string::npos && (arg.kind == Kind::Floats || arg.kind == Kind::Lists))
        bad_table(name, token + " needs a [size], [] for any");
    }
    sig.args.push_back(arg);
    sizes.push_back(size);
  }
  // Sizes may name arguments that come later (an array before its dimensions).
  for (std::size_t i = 0; i < sig.args.size(); i++) {
    Arg& arg = sig.args[i];
    if (arg.kind == Kind::Lists) {
      if (!sizes[i].empty()) {
        arg.match = static_cast<long>(find_arg(sig, sizes[i]));
        if (sig.args[arg.match].kind != Kind::Lists) bad_table(name, sizes[i] + " is not a list");
      }
    } else {
      arg.size = parse_size(sig, sizes[i]);
    }
  }
  return sig;
}

void read(const Napi::CallbackInfo& info, const Signature& sig, std::vector<Slot>& slots) {
  const Napi::Env env = info.Env();
  const std::size_t count = sig.args.size();
  if (slots.size() < count) slots.resize(count);
  // Scalars and array lengths first: the sizes below are products of them.
  for (std::size_t i = 0; i < count; i++) {
    const Arg& arg = sig.args[i];
    Slot& s = slots[i];
    if (arg.kind == Kind::Derived) continue;
    const Napi::Value v = info[i];
    const std::string what = sig.name + ": " + arg.name;
    switch (arg.kind) {
      case Kind::Bool: s.flag = v.ToBoolean().Value(); break;
      case Kind::Int: s.integer = dimension(env, v, what); break;
      case Kind::Num:
        if (!v.IsNumber()) throw Napi::TypeError::New(env, what + " must be a number");
        s.number = v.As<Napi::Number>().DoubleValue();
        break;
      case Kind::Geometry: {
        if (!v.IsObject()) throw Napi::TypeError::New(env, what + " must be a convolution geometry");
        const Napi::Object o = v.As<Napi::Object>();
        int* fields = &s.geometry.n;
        for (std::size_t q = 0; q < kFieldCount; q++)
          fields[q] = dimension(env, o.Get(kGeometryFields[q]), what + "." + kGeometryFields[q]);
        if (s.geometry.stride < 1) throw Napi::RangeError::New(env, what + ".stride must be at least 1");
        break;
      }
      case Kind::Floats:
        if (arg.nullable && (v.IsNull() || v.IsUndefined())) {
          s.floats = nullptr;
          s.length = 0;
        } else {
          if (!is_floats(v)) throw Napi::TypeError::New(env, what + " must be a Float32Array");
          auto arr = v.As<Napi::Float32Array>();
          s.floats = arr.Data();
          s.length = arr.ElementLength();
        }
        break;
      case Kind::Lists: {
        if (!v.IsArray()) throw Napi::TypeError::New(env, what + " must be an array of Float32Arrays");
        const Napi::Array list = v.As<Napi::Array>();
        const uint32_t n = list.Length();
        s.lists.resize(n);
        s.sizes.resize(n);
        for (uint32_t q = 0; q < n; q++) {
          const Napi::Value e = list.Get(q);
          if (!is_floats(e)) throw Napi::TypeError::New(env, what + " must hold Float32Arrays");
          auto arr = e.As<Napi::Float32Array>();
          s.lists[q] = arr.Data();
          s.sizes[q] = arr.ElementLength();
        }
        break;
      }
      case Kind::Derived: break;
    }
  }
  for (std::size_t i = 0; i < count; i++) {
    const Arg& arg = sig.args[i];
    Slot& s = slots[i];
    if (arg.kind == Kind::Derived) {
      s.length = evaluate(env, sig, arg.size, slots);
    } else if (arg.kind == Kind::Floats && s.floats != nullptr && !arg.size.empty()) {
      const std::size_t need = evaluate(env, sig, arg.size, slots);
      if (s.length < need) {
        throw Napi::RangeError::New(env, sig.name + ": " + arg.name + " is too short: needs " + std::to_string(need) +
                                             " values, has " + std::to_string(s.length));
      }
    } else if (arg.kind == Kind::Lists && arg.match >= 0) {
      const Slot& other = slots[arg.match];
      if (s.lists.size() != other.lists.size()) {
        throw Napi::RangeError::New(env, sig.name + ": " + arg.name + " and " + sig.args[arg.match].name +
                                             " differ in length");
      }
      for (std::size_t q = 0; q < s.sizes.size(); q++) {
        if (s.sizes[q] < other.sizes[q]) {
          throw Napi::RangeError::New(env, sig.name + ": " + arg.name + " entry " + std::to_string(q) +
                                               " is too short");
        }
      }
    }
  }
}

void register_all(Napi::Env env, Napi::Object target, const Entry* entries, std::size_t count) {
  for (std::size_t i = 0; i < count; i++) {
    const Entry& e = entries[i];
    // Bound entries live as long as the process: the addon is never unloaded.
    auto* bound = new Bound{parse(e.name, e.signature), e.call};
    if (!e.check(bound->signature)) bad_table(e.name, "the signature does not fit the C++ function's parameters");
    target.Set(e.name, Napi::Function::New(env, call_kernel, e.name, bound));
  }
}

}  // namespace vae::binding
