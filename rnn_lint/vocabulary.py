"""Every word the analysis compares a name or an attribute against: the identifier-like string
literals of ``rnn_lint/facts``, ``rnn_lint/rules``, ``rnn_lint/project`` and ``contract.py``
(``"backward"``, ``"named_parameters"``, ``"load_state_dict"``, ``"LSTM"`` ...).

``slicing`` leaves out of the analysis a definition that reads none of them as an attribute: such
code cannot give the analysis a fact. Written out here (finding them costs an ``ast`` pass over
16,000 lines, too slow for every run); ``tests/test_slicing.py`` fails when the list is not the
current one and prints the new text of this file.
"""

_WORDS = """
ABC AlphaDropout AttributeUses Axis B BatchNorm1d BatchNorm2d CONFIG_OBJECTS CarriedStates Cell
ClassInfo Construction Conv1d Conv2d Conv3d D DDP DEFAULT DH DataParallel Devices
DistributedDataParallel Dropout Dropout1d ELU Embedding EmbeddingBag F FLAGS False FileFacts
FixedSizes FullyShardedDataParallel Function GELU GPU GRU GRUCell Generic H Hardtanh Identity
Indexing InitialStates KH L LD LDA LSTM LSTMCell LayerNorm LeakyReLU LengthsKnown Linear Mish
Module ModuleCall NO_INSTANCE Name None OrderedDict PARAMETER PIL Pack PackLengths
PackedSequence Packing ParamWrite Parameter ProjectIndex REORDERED REQUIRES_GRAD RNN RNN000
RNN101 RNN102 RNN103 RNN104 RNN105 RNN106 RNN107 RNN108 RNN109 RNN201 RNN202 RNN203 RNN301
RNN302 RNN401 RNN402 RNN403 RNN404 RNN405 RNN406 RNNCell RNN_RELU RNN_TANH ReLU ReLU6 Readings
Reshape SB SELU SiLU Sigmoid Softsign StaleCarry StateAttribute StateCreation StateKind T TENSOR
Tanh Trainer True TypeError UNKNOWN UNKNOWN_VALUE Unpack ValueError _ __call__ __delitem__
__init__ __main__ __mul__ __name__ __setitem__ _all_weights _flat_weights_names _l _processes
_reverse abc abs action add add_ add_argument add_module all all_weights amax amin and answers
any append apply argmax argparse args argument as as_sym atom attr attribute attribute_uses
backward bases batch batch_first batch_len batch_size batch_sz batchsize bernoulli_ bfloat16
bias bias_ bias_hh bias_ih bidirectional bisect body bool bs bsz build_facts builds_recurrent
bytes c c_0 c_n call callable called_params callee calls cases cat cell cfg children chunk clamp
clamp_ class class_tables classes classmethod clear clip clone codecs collections compile
conditional conf config const constant constant_ constants contextlib contiguous copy copy_
count_nonzero cpu created csv cuda cumsum cv2 data dataclasses datetime deep deepcopy default
defaults definitions delattr derived dest detach detach_ device dict dim dir dirac_
directions_of div divmod double dropout dtype effects ellipsis elu empty enum enumerate eq eval
evaluate exact exit exp extend eye_ factories files fill_ filter finalbody find_root fit flags
flatten float float16 float32 float64 float_ forget fork format forward from_pretrained
frozenset full function functional functions functools ge gelu getattr glob global grad gt h
h5py h_0 h_n half handlers has_init hasattr hash heapq held helper helpers hex hidden
hidden_size holds_recurrent hp hparams hx id import imports in_features index index_fill_ infer
inference_mode init inits_recurrent input input_size inputs insert inspect instance instances
int int32 int64 io isinstance issubclass item items iter itertools json kaiming_normal_
kaiming_uniform_ keepdim keyword_only kind kwargs last_step_axis le leaky_relu leaves_weights
len lengths line lint linux list load load_from_checkpoint load_project load_state_dict
load_weights loading_methods loads log logging logsumexp long lower lstm_state_module lt mT main
manual_backward map masked_fill masked_fill_ math matplotlib max mean mentioned_by_name method
min module modules moveaxis movedim mul mul_ multiprocessing n_batch name named named_children
named_modules named_parameters names names_in_target namespace nargs nbatch ndim ndimension ne
neg nelement new new_empty new_full new_ones new_zeros next nltk nn no_grad none nonlinearity
normal_ not num_layers numel numpy obj object ones ones_ opaque_bases open operator opt options
opts or orelse orthogonal_ os other otherwise out output pack_padded_sequence pack_sequence
pad_packed_sequence pad_sequence pandas param parameter parameter_attributes parameters params
parse_args parse_known_args pathlib permute pickle pin_memory plain pop popitem position
positional pow predict print prod proj_size pytest quit rand randn random random_ range re read
reassigned receiver recurrent_attributes ref references register_buffer register_module
register_parameter relu reordered reordered_from replace repr requires_grad requires_grad_ reset
reshape restore retain_graph return returns returns_class returns_namespace reversed rnn round
run runtime s safe says_left_padded scipy scope searched self selu sent sentence seq seqs
sequence sequences set set_ set_grad_enabled setattr setdefault shape share_memory_ shutil
sigmoid silu sites size sklearn slice socket sort sorted spacy sparse_ squeeze squeeze_ src
stack stale_carries star star_imports startswith state_dict staticmethod std step store_false
store_true str string struct sub sub_ subprocess sum summaries summary super swapaxes swapdims
sys t table tanh tensor test threading through time to tolist torch torchaudio torchtext
torchvision touches_weights tqdm traceback train transform transformers transpose trunc_normal_
tuple type type_as types typing unicodedata uniform_ unittest unknown unpacked unreadable unsafe
unsqueeze update upper utils val value values var var_keyword var_positional vars view view_as
warnings weight weight_ weight_hh weight_ih where words wrappers xavier_normal_ xavier_uniform_
yaml zero zero_ zero_grad zeros zeros_ zip
"""

ANALYSIS_WORDS = frozenset(_WORDS.split())
