# run_validator.cmake: run tests/tools/validate_ndjson.py and check how it
# ends, for ctest (cmake -P, so the checks need no shell).
#
#   -DPYTHON=... -DVALIDATOR=... -DSCHEMAS=dir   how to run it
#   -DFILE=path                  the NDJSON file to validate
#   -DEMIT=program               optional: run `program FILE` first to write it
#   -DARGS=opt                   optional: one extra validator option
#   -DEXPECT_RC=n                the exit status the validator must give
#   -DEXPECT_1=regex ... EXPECT_9  regexes its output must all match
foreach(var PYTHON VALIDATOR SCHEMAS FILE EXPECT_RC)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "run_validator.cmake: -D${var}=... is required")
  endif()
endforeach()

if(DEFINED EMIT)
  execute_process(COMMAND ${EMIT} ${FILE} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${EMIT} ${FILE} failed: ${rc}")
  endif()
endif()

execute_process(COMMAND ${PYTHON} ${VALIDATOR} --schemas ${SCHEMAS} ${ARGS}
                        ${FILE}
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
message("${out}")
if(NOT rc STREQUAL EXPECT_RC)
  message(FATAL_ERROR "validator exited with ${rc}, expected ${EXPECT_RC}")
endif()
foreach(i RANGE 1 9)
  if(DEFINED EXPECT_${i} AND NOT out MATCHES "${EXPECT_${i}}")
    message(FATAL_ERROR "validator output does not match: ${EXPECT_${i}}")
  endif()
endforeach()
