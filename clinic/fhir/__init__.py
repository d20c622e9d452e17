"""A read-only HL7 FHIR R4 view of the clinic under /fhir, for EHRs.

The same bearer tokens, access policy and audit of patient reads as /api/v1: views call the same use cases
(`clinic.services`), and the request's unit of work audits every patient record they load. Resources are
built as `fhir.resources` models, never as hand-made dictionaries, so what is served is what the library
validates. The library ships FHIR R4B (4.3.0), which for every resource served here has R4's (4.0.1) shape,
so the models come from `fhir.resources.R4B` and the server declares R4.
"""
