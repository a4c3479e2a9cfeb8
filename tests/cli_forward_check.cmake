# Runs `harness run forward_check` on the shipped tinystories-656k from BOS for 30 tokens and checks the
# printed ids against transformers' greedy_ids_bos (../shared/fixtures/tinystories-656k) and the result file.
file(REMOVE_RECURSE ${OUT})
execute_process(COMMAND ${HARNESS} run forward_check --model ${SRC}/data/models/tinystories-656k --new-tokens 30
                        --out ${OUT}
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "forward_check failed (${rc}): ${err}")
endif()
# transformers' greedy_ids_bos after the BOS (read from the fixture's reference.safetensors).
execute_process(COMMAND ${PYTHON} -c "from safetensors.numpy import load_file; r = load_file('${SHARED}/fixtures/tinystories-656k/reference.safetensors'); print(','.join(str(i) for i in r['greedy_ids_bos'][1:]), end='')"
                RESULT_VARIABLE py_rc OUTPUT_VARIABLE expected)
if(NOT py_rc EQUAL 0 OR expected STREQUAL "")
  message(FATAL_ERROR "cannot read the fixture's greedy_ids_bos")
endif()
if(NOT out MATCHES "generated ids: ${expected}\n")
  message(FATAL_ERROR "unexpected output:\n${out}")
endif()
file(GLOB_RECURSE results ${OUT}/forward_check/tinystories-656k/*.json)
list(LENGTH results n)
if(NOT n EQUAL 1)
  message(FATAL_ERROR "expected one result file, found ${n}")
endif()
file(READ ${results} json)
string(JSON ids GET "${json}" metrics generated_ids)
string(JSON n_ids LENGTH "${json}" metrics generated_ids)
string(JSON n_logits LENGTH "${json}" metrics last_logits)
string(JSON schema GET "${json}" schema_version)
string(JSON model_hash GET "${json}" inputs model model.safetensors)
file(SHA256 ${SRC}/data/models/tinystories-656k/model.safetensors actual_hash)
if(NOT n_ids EQUAL 30 OR NOT n_logits EQUAL 2048 OR NOT schema EQUAL 2 OR NOT model_hash STREQUAL actual_hash)
  message(FATAL_ERROR "result file ${results} is not as expected: ${n_ids} ids, ${n_logits} logits, hash ${model_hash}")
endif()

# Text in, text out: the fixture sentence tokenises to the fixture's ids (BOS included).
file(READ ${SHARED}/fixtures/tinystories-656k/reference.json reference)
string(JSON sentence GET "${reference}" sentence text)
string(JSON n_expected LENGTH "${reference}" sentence ids_with_bos)
set(expected_ids "")
math(EXPR last "${n_expected} - 1")
foreach(i RANGE ${last})
  string(JSON id GET "${reference}" sentence ids_with_bos ${i})
  list(APPEND expected_ids ${id})
endforeach()
list(JOIN expected_ids "," expected_ids)
execute_process(COMMAND ${HARNESS} tokenize --tokenizer ${SRC}/data/models/tinystories-656k --text "${sentence}"
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0 OR NOT out STREQUAL "${expected_ids}\n")
  message(FATAL_ERROR "tokenize gave '${out}' (${err}), expected ${expected_ids}")
endif()
execute_process(COMMAND ${HARNESS} run forward_check --model ${SRC}/data/models/tinystories-656k --text "${sentence}"
                        --new-tokens 5 --out ${OUT}
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0 OR NOT out MATCHES "text: ${sentence}")
  message(FATAL_ERROR "forward_check --text failed (${rc}): ${out} ${err}")
endif()
