# Runs `harness run forward_check` on the shipped tinystories-656k from BOS for 30 tokens and checks the
# printed ids against transformers' greedy_ids_bos (../shared/fixtures/tinystories-656k) and the result file.
file(REMOVE_RECURSE ${OUT})
execute_process(COMMAND ${HARNESS} run forward_check --model ${SRC}/data/models/tinystories-656k --new-tokens 30
                        --out ${OUT}
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "forward_check failed (${rc}): ${err}")
endif()
# transformers' greedy_ids_bos after the BOS id 1 (fixture reference.safetensors).
set(expected "147,201,282,215,286,598,1662,356,499,826,1363,1145,1652,615,242,1482,951,628,499,826,872,921,318,385,628,499,826,617,242,198")
if(NOT out MATCHES "generated ids: ${expected}\n")
  message(FATAL_ERROR "unexpected output:\n${out}")
endif()
file(GLOB_RECURSE results ${OUT}/forward_check/tinystories-656k/*.json)
list(LENGTH results n)
if(NOT n EQUAL 1)
  message(FATAL_ERROR "expected one result file, found ${n}")
endif()
file(READ ${results} json)
string(JSON ids GET ${json} metrics generated_ids)
string(JSON n_ids LENGTH ${json} metrics generated_ids)
string(JSON n_logits LENGTH ${json} metrics last_logits)
string(JSON schema GET ${json} schema_version)
string(JSON model_hash GET ${json} inputs model model.safetensors)
if(NOT n_ids EQUAL 30 OR NOT n_logits EQUAL 2048 OR NOT schema EQUAL 1
   OR NOT model_hash STREQUAL "187d0d5e8360d9625e40e0b35ec57d1ef0eea1a60ddcf09412246bed3484852f")
  message(FATAL_ERROR "result file ${results} is not as expected: ${n_ids} ids, ${n_logits} logits, hash ${model_hash}")
endif()
