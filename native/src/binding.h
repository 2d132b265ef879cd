// The generic half of the Node binding: turns one row of the kernel table (addon.cc) into a
// JavaScript function. A row names the kernel, writes its arguments as a signature, and
// points at the C++ function; the C++ parameter types are read off the function pointer, so
// no kernel needs code of its own here.
//
// A signature is a space-separated list of `name:kind`, in the order JavaScript passes them:
//   bool            a flag (any value, by truthiness)
//   int             a non-negative integer (a dimension)
//   num             a number (float or double, as the C++ parameter is)
//   f32[size]       a Float32Array of at least `size` values; `f32?[size]` may be null or
//                   undefined (passed on as nullptr: "no gradient wanted")
//   geom            a ConvGeometry object {n, c, h, w, kh, kw, stride, padding, ho, wo}
//   f32s[list]      an array of Float32Arrays; with a list named, as many as that list, each
//                   at least as long as its counterpart there
// and, last, `name=size`: a size_t the C++ function takes that JavaScript does not pass.
// A size is a product of factors: an int argument, `g.field` of a geom argument, `#x` (the
// length of the array argument x), or a literal; `f32[]` is any length.
//
// Every array is checked against its size before the kernel runs: a wrong size must never
// turn into a read or write outside an array. The table is checked against the C++ types
// when the addon loads, so a row that does not fit its function fails at once, loudly.
#pragma once

#include <napi.h>

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "conv.h"
#include "fused.h"

namespace vae::binding {

enum class Kind { Bool, Int, Num, Floats, Geometry, Lists, Derived };

struct Factor {
  enum Type { Literal, IntArg, GeometryField, LengthOf } type;
  std::size_t arg;    // which argument (IntArg, GeometryField, LengthOf)
  std::size_t value;  // the literal, or the field's index in ConvGeometry
};

struct Arg {
  std::string name;
  Kind kind;
  bool nullable = false;
  std::vector<Factor> size;  // empty: no lower bound
  long match = -1;           // Lists: the list whose entries set the sizes
};

struct Signature {
  std::string name;
  std::vector<Arg> args;
};

// One argument's value during a call.
struct Slot {
  bool flag = false;
  int integer = 0;
  double number = 0;
  float* floats = nullptr;
  std::size_t length = 0;
  ConvGeometry geometry{};
  std::vector<float*> lists;
  std::vector<std::size_t> sizes;
};

Signature parse(const char* name, const char* text);
// Reads and checks the JavaScript arguments into slots; throws a JS TypeError or RangeError.
void read(const Napi::CallbackInfo& info, const Signature& sig, std::vector<Slot>& slots);

// ---- C++ parameter types and the kinds they accept -------------------------------------

template <typename T>
struct Param;
template <>
struct Param<bool> {
  static bool accepts(Kind k) { return k == Kind::Bool; }
  static bool get(Slot& s) { return s.flag; }
};
template <>
struct Param<int> {
  static bool accepts(Kind k) { return k == Kind::Int; }
  static int get(Slot& s) { return s.integer; }
};
template <>
struct Param<float> {
  static bool accepts(Kind k) { return k == Kind::Num; }
  static float get(Slot& s) { return static_cast<float>(s.number); }
};
template <>
struct Param<double> {
  static bool accepts(Kind k) { return k == Kind::Num; }
  static double get(Slot& s) { return s.number; }
};
template <>
struct Param<std::size_t> {
  static bool accepts(Kind k) { return k == Kind::Derived; }
  static std::size_t get(Slot& s) { return s.length; }
};
template <>
struct Param<float*> {
  static bool accepts(Kind k) { return k == Kind::Floats; }
  static float* get(Slot& s) { return s.floats; }
};
template <>
struct Param<const float*> : Param<float*> {};
template <>
struct Param<ConvGeometry> {
  static bool accepts(Kind k) { return k == Kind::Geometry; }
  static const ConvGeometry& get(Slot& s) { return s.geometry; }
};
template <>
struct Param<FloatLists> {
  static bool accepts(Kind k) { return k == Kind::Lists; }
  static FloatLists get(Slot& s) { return {s.lists.data(), s.sizes.data(), s.lists.size()}; }
};

template <typename T>
using Bare = Param<std::remove_cv_t<std::remove_reference_t<T>>>;

template <typename... P>
bool fits(void (*)(P...), const Signature& sig) {
  if (sig.args.size() != sizeof...(P)) return false;
  std::size_t i = 0;
  return (Bare<P>::accepts(sig.args[i++].kind) && ...);
}

template <typename... P>
constexpr std::size_t arity(void (*)(P...)) {
  return sizeof...(P);
}

template <typename... P, std::size_t... I>
void invoke(void (*fn)(P...), std::vector<Slot>& slots, std::index_sequence<I...>) {
  fn(Bare<P>::get(slots[I])...);
}

// One exported kernel: the parsed signature and its C++ function behind a uniform call.
struct Entry {
  const char* name;
  const char* signature;
  bool (*check)(const Signature&);
  void (*call)(std::vector<Slot>&);
};

template <auto F>
Entry kernel(const char* name, const char* signature) {
  return {name, signature, [](const Signature& sig) { return fits(F, sig); },
          [](std::vector<Slot>& slots) {
            invoke(F, slots, std::make_index_sequence<arity(F)>{});
          }};
}

// Registers every entry on `target` as a function of the same name.
void register_all(Napi::Env env, Napi::Object target, const Entry* entries, std::size_t count);

}  // namespace vae::binding
