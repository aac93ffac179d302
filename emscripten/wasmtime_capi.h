// Declarations of the part of wasmtime's C API (v39) the wasmtime engine uses, written from
// the API's documentation so that the build needs no include path into the module cache.
// The library itself is linked through github.com/bytecodealliance/wasmtime-go/v39, which
// ships libwasmtime.a. The struct layouts must match the library's: sizes and offsets were
// checked against the v39 headers (func 16, instance 16, memory 24, global 24, extern 32 with
// the payload at 8, val 32 with the payload at 8, val_raw 16).

#ifndef PGLITE_WASMTIME_CAPI_H
#define PGLITE_WASMTIME_CAPI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

typedef struct wasm_config_t wasm_config_t;
typedef struct wasm_engine_t wasm_engine_t;
typedef struct wasm_trap_t wasm_trap_t;
typedef struct wasm_functype_t wasm_functype_t;
typedef struct wasm_valtype_t wasm_valtype_t;
typedef struct wasm_importtype_t wasm_importtype_t;
typedef struct wasmtime_store wasmtime_store_t;
typedef struct wasmtime_context wasmtime_context_t;
typedef struct wasmtime_module wasmtime_module_t;
typedef struct wasmtime_error wasmtime_error_t;
typedef struct wasmtime_caller wasmtime_caller_t;

typedef struct {
	size_t size;
	uint8_t *data;
} wasm_byte_vec_t; // also wasm_name_t and wasm_message_t

typedef struct {
	size_t size;
	wasm_valtype_t **data;
} wasm_valtype_vec_t;

typedef struct {
	size_t size;
	wasm_importtype_t **data;
} wasm_importtype_vec_t;

typedef struct {
	uint64_t store_id;
	void *priv;
} wasmtime_func_t;

typedef struct {
	uint64_t store_id;
	size_t priv;
} wasmtime_instance_t;

typedef struct {
	uint64_t store_id;
	uint32_t priv1;
	uint32_t pad1;
	uint32_t priv2;
	uint32_t pad2;
} wasmtime_memory_t; // wasmtime_table_t has the same layout

typedef struct {
	uint64_t store_id;
	uint32_t priv1, priv2, priv3;
} wasmtime_global_t;

typedef struct {
	uint8_t kind; // 0 func, 1 global, 2 table, 3 memory, 4 shared memory
	union {
		wasmtime_func_t func;
		wasmtime_global_t global;
		wasmtime_memory_t memory;
		void *shared;
	} of;
} wasmtime_extern_t;

typedef struct {
	uint8_t kind; // 0 i32, 1 i64, 2 f32, 3 f64
	union {
		int32_t i32;
		int64_t i64;
		float f32;
		double f64;
		struct {
			uint64_t a;
			uint32_t b, c;
			void *d;
		} ref;
	} of;
} wasmtime_val_t;

typedef union {
	int32_t i32;
	int64_t i64;
	float f32;
	double f64;
	uint8_t v128[16];
	void *funcref;
} wasmtime_val_raw_t;

typedef wasm_trap_t *(*wasmtime_func_unchecked_callback_t)(void *env, wasmtime_caller_t *caller,
	wasmtime_val_raw_t *args_and_results, size_t num_args_and_results);

enum { PG_TRAP_STACK_OVERFLOW = 0 };

wasm_config_t *wasm_config_new(void);
wasm_engine_t *wasm_engine_new_with_config(wasm_config_t *);
void wasm_engine_delete(wasm_engine_t *);
void wasmtime_config_epoch_interruption_set(wasm_config_t *, bool);
void wasmtime_config_consume_fuel_set(wasm_config_t *, bool);
void wasmtime_config_max_wasm_stack_set(wasm_config_t *, size_t);
void wasmtime_config_wasm_exceptions_set(wasm_config_t *, bool);
void wasmtime_config_cranelift_opt_level_set(wasm_config_t *, uint8_t);
void wasmtime_config_parallel_compilation_set(wasm_config_t *, bool);
void wasmtime_config_memory_may_move_set(wasm_config_t *, bool);
void wasmtime_config_memory_reservation_set(wasm_config_t *, uint64_t);
void wasmtime_config_profiler_set(wasm_config_t *, uint8_t);

wasmtime_store_t *wasmtime_store_new(wasm_engine_t *, void *data, void (*finalizer)(void *));
wasmtime_context_t *wasmtime_store_context(wasmtime_store_t *);
void wasmtime_store_delete(wasmtime_store_t *);

wasmtime_error_t *wasmtime_module_new(wasm_engine_t *, const uint8_t *wasm, size_t len, wasmtime_module_t **ret);
void wasmtime_module_delete(wasmtime_module_t *);
void wasmtime_module_imports(const wasmtime_module_t *, wasm_importtype_vec_t *out);
wasmtime_error_t *wasmtime_module_serialize(wasmtime_module_t *, wasm_byte_vec_t *ret);
wasmtime_error_t *wasmtime_module_deserialize_file(wasm_engine_t *, const char *path, wasmtime_module_t **ret);
const wasm_byte_vec_t *wasm_importtype_module(const wasm_importtype_t *);
const wasm_byte_vec_t *wasm_importtype_name(const wasm_importtype_t *);
void wasm_importtype_vec_delete(wasm_importtype_vec_t *);
void wasm_byte_vec_delete(wasm_byte_vec_t *);

void wasmtime_error_message(const wasmtime_error_t *, wasm_byte_vec_t *message);
void wasmtime_error_delete(wasmtime_error_t *);
wasm_trap_t *wasmtime_trap_new(const char *msg, size_t len);
bool wasmtime_trap_code(const wasm_trap_t *, uint8_t *code);
void wasm_trap_message(const wasm_trap_t *, wasm_byte_vec_t *out);
void wasm_trap_delete(wasm_trap_t *);

wasm_valtype_t *wasm_valtype_new(uint8_t kind);
uint8_t wasm_valtype_kind(const wasm_valtype_t *);
void wasm_valtype_vec_new(wasm_valtype_vec_t *out, size_t n, wasm_valtype_t *const data[]);
void wasm_valtype_vec_new_empty(wasm_valtype_vec_t *out);
wasm_functype_t *wasm_functype_new(wasm_valtype_vec_t *params, wasm_valtype_vec_t *results);
const wasm_valtype_vec_t *wasm_functype_params(const wasm_functype_t *);
const wasm_valtype_vec_t *wasm_functype_results(const wasm_functype_t *);
void wasm_functype_delete(wasm_functype_t *);

void wasmtime_func_new_unchecked(wasmtime_context_t *, const wasm_functype_t *, wasmtime_func_unchecked_callback_t,
	void *env, void (*finalizer)(void *), wasmtime_func_t *ret);
wasm_functype_t *wasmtime_func_type(const wasmtime_context_t *, const wasmtime_func_t *);
wasmtime_error_t *wasmtime_func_call_unchecked(wasmtime_context_t *, const wasmtime_func_t *,
	wasmtime_val_raw_t *args_and_results, size_t len, wasm_trap_t **trap);

wasmtime_error_t *wasmtime_instance_new(wasmtime_context_t *, const wasmtime_module_t *, const wasmtime_extern_t *imports,
	size_t nimports, wasmtime_instance_t *instance, wasm_trap_t **trap);
bool wasmtime_instance_export_get(wasmtime_context_t *, const wasmtime_instance_t *, const char *name, size_t len,
	wasmtime_extern_t *item);

uint8_t *wasmtime_memory_data(const wasmtime_context_t *, const wasmtime_memory_t *);
size_t wasmtime_memory_data_size(const wasmtime_context_t *, const wasmtime_memory_t *);
wasmtime_error_t *wasmtime_memory_grow(wasmtime_context_t *, const wasmtime_memory_t *, uint64_t delta, uint64_t *prev);

void wasmtime_global_get(wasmtime_context_t *, const wasmtime_global_t *, wasmtime_val_t *out);
wasmtime_error_t *wasmtime_global_set(wasmtime_context_t *, const wasmtime_global_t *, const wasmtime_val_t *);

#endif
