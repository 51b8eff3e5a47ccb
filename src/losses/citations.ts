/**
 * BibTeX entries of the losses, as sentence-transformers 6.0.1 carries them in each loss's `citation` property (the
 * model card's "Citation" section lists them under the loss names). Recorded from 6.0.1 instances by
 * test/data/model_card/gen_cards.py (citations.json); the card test compares them.
 * Reference (pinned): https://github.com/huggingface/sentence-transformers/blob/v6.0.1/sentence_transformers/base/model_card.py (`set_losses`)
 */

/** AnglELoss. */
export const ANGLE_2024 = "@inproceedings{li-li-2024-aoe,\n    title = \"{A}o{E}: Angle-optimized Embeddings for Semantic Textual Similarity\",\n    author = \"Li, Xianming and Li, Jing\",\n    year = \"2024\",\n    publisher = \"Association for Computational Linguistics\",\n    url = \"https://aclanthology.org/2024.acl-long.101/\",\n    doi = \"10.18653/v1/2024.acl-long.101\"\n}";

/** BatchAllTripletLoss, BatchHardTripletLoss, BatchSemiHardTripletLoss, TripletLoss. */
export const HERMANS_2017_TRIPLET = "@misc{hermans2017defense,\n    title={In Defense of the Triplet Loss for Person Re-Identification},\n    author={Alexander Hermans and Lucas Beyer and Bastian Leibe},\n    year={2017},\n    eprint={1703.07737},\n    archivePrefix={arXiv},\n    primaryClass={cs.CV}\n}";

/** CachedMultipleNegativesRankingLoss. */
export const GAO_2021_GRADCACHE = "@misc{gao2021scaling,\n    title={Scaling Deep Contrastive Learning Batch Size under Memory Limited Setup},\n    author={Luyu Gao and Yunyi Zhang and Jiawei Han and Jamie Callan},\n    year={2021},\n    eprint={2101.06983},\n    archivePrefix={arXiv},\n    primaryClass={cs.LG}\n}";

/** ContrastiveLoss. */
export const HADSELL_2006_CONTRASTIVE = "@inproceedings{hadsell2006dimensionality,\n    author={Hadsell, R. and Chopra, S. and LeCun, Y.},\n    booktitle={2006 IEEE Computer Society Conference on Computer Vision and Pattern Recognition (CVPR'06)},\n    title={Dimensionality Reduction by Learning an Invariant Mapping},\n    year={2006},\n    volume={2},\n    number={},\n    pages={1735-1742},\n    doi={10.1109/CVPR.2006.100}\n}";

/** CoSENTLoss. */
export const COSENT_2024 = "@article{10531646,\n    author={Huang, Xiang and Peng, Hao and Zou, Dongcheng and Liu, Zhiwei and Li, Jianxin and Liu, Kay and Wu, Jia and Su, Jianlin and Yu, Philip S.},\n    journal={IEEE/ACM Transactions on Audio, Speech, and Language Processing},\n    title={CoSENT: Consistent Sentence Embedding via Similarity Ranking},\n    year={2024},\n    doi={10.1109/TASLP.2024.3402087}\n}";

/** MatryoshkaLoss. */
export const KUSUPATI_2024_MATRYOSHKA = "@misc{kusupati2024matryoshka,\n    title={Matryoshka Representation Learning},\n    author={Aditya Kusupati and Gantavya Bhatt and Aniket Rege and Matthew Wallingford and Aditya Sinha and Vivek Ramanujan and William Howard-Snyder and Kaifeng Chen and Sham Kakade and Prateek Jain and Ali Farhadi},\n    year={2024},\n    eprint={2205.13147},\n    archivePrefix={arXiv},\n    primaryClass={cs.LG}\n}";

/** MSELoss. */
export const REIMERS_2020_MULTILINGUAL = "@inproceedings{reimers-2020-multilingual-sentence-bert,\n    title = \"Making Monolingual Sentence Embeddings Multilingual using Knowledge Distillation\",\n    author = \"Reimers, Nils and Gurevych, Iryna\",\n    booktitle = \"Proceedings of the 2020 Conference on Empirical Methods in Natural Language Processing\",\n    month = \"11\",\n    year = \"2020\",\n    publisher = \"Association for Computational Linguistics\",\n    url = \"https://arxiv.org/abs/2004.09813\",\n}";

/** MultipleNegativesRankingLoss. */
export const OORD_2019_CPC = "@misc{oord2019representationlearningcontrastivepredictive,\n      title={Representation Learning with Contrastive Predictive Coding},\n      author={Aaron van den Oord and Yazhe Li and Oriol Vinyals},\n      year={2019},\n      eprint={1807.03748},\n      archivePrefix={arXiv},\n      primaryClass={cs.LG},\n      url={https://arxiv.org/abs/1807.03748},\n}";

/** MultipleNegativesSymmetricRankingLoss. */
export const JINA_EMBEDDINGS_2_2024 = "@misc{günther2024jinaembeddings28192token,\n      title={Jina Embeddings 2: 8192-Token General-Purpose Text Embeddings for Long Documents},\n      author={Michael Günther and Jackmin Ong and Isabelle Mohr and Alaeddine Abdessalem and Tanguy Abel and Mohammad Kalim Akram and Susana Guzman and Georgios Mastrapas and Saba Sturua and Bo Wang and Maximilian Werk and Nan Wang and Han Xiao},\n      year={2024},\n      eprint={2310.19923},\n      archivePrefix={arXiv},\n      primaryClass={cs.CL},\n      url={https://arxiv.org/abs/2310.19923},\n}";

/** SoftmaxLoss. */
export const SENTENCE_BERT_2019 = "@inproceedings{reimers-2019-sentence-bert,\n    title = \"Sentence-BERT: Sentence Embeddings using Siamese BERT-Networks\",\n    author = \"Reimers, Nils and Gurevych, Iryna\",\n    booktitle = \"Proceedings of the 2019 Conference on Empirical Methods in Natural Language Processing\",\n    month = \"11\",\n    year = \"2019\",\n    publisher = \"Association for Computational Linguistics\",\n    url = \"https://arxiv.org/abs/1908.10084\",\n}";

/** MultipleNegativesRankingLoss with all four directions, joint (GTE's improved contrastive loss). */
export const LI_2023_GTE = "@misc{li2023generaltextembeddingsmultistage,\n      title={Towards General Text Embeddings with Multi-stage Contrastive Learning},\n      author={Zehan Li and Xin Zhang and Yanzhao Zhang and Dingkun Long and Pengjun Xie and Meishan Zhang},\n      year={2023},\n      eprint={2308.03281},\n      archivePrefix={arXiv},\n      primaryClass={cs.CL},\n      url={https://arxiv.org/abs/2308.03281},\n}";
