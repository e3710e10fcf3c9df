"""Code generation: contract in, files out. Imports nothing from registry.api or registry.storage.

prepare.py   the contract as the generator should see it (safe names, open objects, a root wrapper)
refs.py      references resolved the registry's way, rewritten as local pointers
normalise.py rewrites that keep models from refusing what the contract accepts; allOf flattening
schemas.py   walking a schema's subschemas
generate.py  datamodel-code-generator, offline, in an empty directory; the result checked and loaded
safety.py    proof that a generated module only declares models
package.py   the package around the models: parse_event, Marshaller, constants; wheel and zip
names.py     distribution, import and EventBridge package names
workers.py   worker processes with a time limit and a memory ceiling; retries when a worker dies
scheduling.py which job gets the next worker: small contracts never wait behind large ones
"""

from codegen.errors import GenerationFailed, GeneratorUnavailable
from codegen.generate import GeneratedModels, generate_models
from codegen.package import Artifact, PackageSource, build_wheel, build_zip, wheel_filename, wheel_version
from codegen.prepare import ContractInput
from codegen.version import GENERATOR_VERSION
from codegen.workers import GeneratorPool

__all__ = [
    "GENERATOR_VERSION",
    "Artifact",
    "ContractInput",
    "GeneratedModels",
    "GenerationFailed",
    "GeneratorPool",
    "GeneratorUnavailable",
    "PackageSource",
    "build_wheel",
    "build_zip",
    "generate_models",
    "wheel_filename",
    "wheel_version",
]
